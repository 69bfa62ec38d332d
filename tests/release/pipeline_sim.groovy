// Runs a rendered Jenkinsfile's Declarative structure with Groovy 2.4 and stand-ins for the
// steps, and prints what it did, one JSON line per event: stages entered or skipped (their
// `when` evaluated), sh scripts (with the JENKINSGEN_* environment they saw), input steps,
// readFile, echo, error. Every sh, input and readFile event carries how many agents were held,
// which workspace it ran in (one per agent taken; null with none) and the timeouts around it,
// outermost first (stage `options { timeout }` and the `timeout` step; the pipeline's own
// options too, so a pipeline-wide timeout would show).
//
//   groovy pipeline_sim.groovy JENKINSFILE SCENARIO.json
//
// SCENARIO: {"branch": "main",
//            "approval": "Deploy" | "abort"           (the approval gate's input; default Deploy)
//            "answer": "Confirm" | "Roll back" | "timeout"   (the release's input)
//            "files": {".jenkinsgen-release.status": "awaiting-confirm", ...}}
// Not a Jenkins: only what the delivery stages' order of calls needs is modelled. An aborted
// approval (or one whose timeout expires: the same FlowInterruptedException) ends the run
// ABORTED, as Declarative does; an error() ends it FAILURE.
import groovy.json.JsonOutput
import groovy.json.JsonSlurper

class PipelineError extends RuntimeException {
    PipelineError(String m) { super(m) }
}

class PipelineAbort extends RuntimeException {
    PipelineAbort(String m) { super(m) }
}

class Sim extends Script {
    static List events = []
    static Map scenario = [:]
    static Map env = [:]
    static int agents = 0
    static List workspaces = []
    static int allocations = 0
    static List timeouts = []

    def run() { null }

    static void emit(Map event) { events << event }

    static Map where() {
        [agents: agents, workspace: workspaces ? workspaces[-1] : null, timeouts: timeouts.clone()]
    }

    def propertyMissing(String name) {
        if (name == 'env') return env
        return name
    }

    def propertyMissing(String name, value) { env[name] = value }

    def call(Closure body, Object delegateTo) {
        body.resolveStrategy = Closure.DELEGATE_FIRST
        body.delegate = delegateTo
        return body.call()
    }

    def methodMissing(String name, Object argsObj) {
        Object[] args = argsObj as Object[]
        Closure body = args && args[-1] instanceof Closure ? (Closure) args[-1] : null
        switch (name) {
            case 'pipeline':
                def top = new Section(this)
                call(body, top)
                if (top.agentLabel) {
                    agents++
                    workspaces << ++allocations
                }
                return runSections(top, 'pipeline')
            case 'stage':
                return runStage((String) args[0], body)
            case 'sh':
                def script = args[0] instanceof Map ? args[0].script : args[0]
                emit([event: 'sh', script: script,
                      env: env.findAll { k, v -> k.startsWith('JENKINSGEN_') || k == 'DEPLOY_ENV' }]
                     + where())
                return args[0] instanceof Map && args[0].returnStdout ? '0123456789abcdef\n' : ''
            case 'readFile':
                emit([event: 'readFile', path: args[0]] + where())
                def text = scenario.files[args[0]]
                if (text == null) throw new PipelineError("no file ${args[0]}")
                return text + '\n'
            case 'input':
                Map a = args[0] instanceof Map ? (Map) args[0] : [message: args[0]]
                boolean asks = a.parameters != null
                emit([event: 'input', kind: asks ? 'release' : 'approval', message: a.message,
                      submitter: a.submitter,
                      choices: asks ? a.parameters*.choices.flatten() : []] + where())
                if (!asks) {
                    if ((scenario.approval ?: 'Deploy') != 'Deploy') {
                        throw new PipelineAbort('approval not given (FlowInterruptedException)')
                    }
                    return null
                }
                if (scenario.answer == 'timeout') throw new RuntimeException('timeout (FlowInterruptedException)')
                return scenario.answer
            case 'choice':
                return args[0]
            case 'echo':
                emit([event: 'echo', text: args[0]])
                return null
            case 'error':
                emit([event: 'error', text: args[0]])
                throw new PipelineError((String) args[0])
            case 'withCredentials':
                env.DEPLOY_TOKEN = 'token'
                try { return body.call() } finally { env.remove('DEPLOY_TOKEN') }
            case 'timeout':
                timeouts << ((Map) args[0]).time
                try { return body.call() } finally { timeouts.remove(timeouts.size() - 1) }
            case 'script':
            case 'steps':
                return body.call()
            default:
                return body != null ? body.call() : name
        }
    }

    def runSections(Section s, String where) {
        def o = new OptionsSection()
        if (s.options) call(s.options, o)
        if (o.timeout != null) timeouts << o.timeout
        try {
            if (s.environment) call(s.environment, new EnvSection())
            if (s.stages) {
                call(s.stages, this)
            }
            if (s.steps) {
                body(s.steps)
            }
        } finally {
            if (o.timeout != null) timeouts.remove(timeouts.size() - 1)
        }
    }

    def body(Closure c) {
        c.resolveStrategy = Closure.OWNER_FIRST
        c.call()
    }

    def runStage(String name, Closure body) {
        def s = new Section(this)
        call(body, s)
        if (s.when) {
            def w = new WhenSection()
            call(s.when, w)
            boolean pass = w.branches.every { b ->
                b.comparator == 'GLOB' ? scenario.branch ==~ b.pattern.replace('*', '.*') : scenario.branch == b.pattern
            } && w.expressions.every { it.call() }
            if (!pass) { emit([event: 'skip', stage: name]); return null }
        }
        if (s.inputDirective) emit([event: 'input-directive', stage: name, agents: agents])
        emit([event: 'stage', stage: name, agents: agents + (s.agentLabel ? 1 : 0)])
        if (s.agentLabel) {
            agents++
            workspaces << (s.reuseNode && workspaces ? workspaces[-1] : ++allocations)
        }
        try {
            runSections(s, name)
        } finally {
            if (s.agentLabel) {
                agents--
                workspaces.remove(workspaces.size() - 1)
            }
        }
        return null
    }
}

class Section {
    Sim sim
    Closure environment, stages, steps, when, post, options, inputDirective
    String agentLabel
    boolean reuseNode
    Section(Sim sim) { this.sim = sim }
    def agent(Object arg) {
        if (arg instanceof Closure) {
            def a = new AgentSection(); arg.delegate = a; arg.resolveStrategy = Closure.DELEGATE_FIRST; arg.call()
            agentLabel = a.label ?: 'docker-agent'
            reuseNode = a.reuseNode
        }
    }
    def environment(Closure c) { environment = c }
    def stages(Closure c) { stages = c }
    def steps(Closure c) { steps = c }
    def when(Closure c) { when = c }
    def post(Closure c) { post = c }
    def options(Closure c) { options = c }
    def input(Closure c) { inputDirective = c }
}

class AgentSection {
    String label
    boolean reuseNode
    def label(String l) { label = l }
    def docker(Closure c) {
        label = 'docker'
        def d = new DockerSection(); c.delegate = d; c.resolveStrategy = Closure.DELEGATE_FIRST; c.call()
        reuseNode = d.reuseNode
    }
}

class DockerSection {
    boolean reuseNode
    def image(String i) {}
    def label(String l) {}
    def reuseNode(boolean b) { reuseNode = b }
}

class OptionsSection {
    Object timeout
    def timeout(Map m) { timeout = m.time }
    def methodMissing(String name, Object args) { null }
}

class EnvSection {
    def propertyMissing(String name, value) { Sim.env[name] = value }
}

class WhenSection {
    List branches = [], expressions = []
    def branch(Map m) { branches << m }
    def expression(Closure c) { expressions << c }
    def beforeAgent(boolean b) {}
}

def file = new File(args[0]).text
Sim.scenario = new JsonSlurper().parse(new File(args[1]))
def config = new org.codehaus.groovy.control.CompilerConfiguration()
config.scriptBaseClass = Sim.name
def shell = new GroovyShell(Sim.classLoader, new Binding(), config)
try {
    shell.evaluate(file)
    Sim.emit([event: 'end', result: 'SUCCESS'])
} catch (PipelineError e) {
    Sim.emit([event: 'end', result: 'FAILURE', message: e.message])
} catch (PipelineAbort e) {
    Sim.emit([event: 'end', result: 'ABORTED', message: e.message])
}
Sim.events.each { println JsonOutput.toJson(it) }
