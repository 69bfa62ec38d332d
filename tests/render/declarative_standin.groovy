// A stand-in for Declarative Pipeline's runtime, enough to run a per-environment Jenkinsfile's
// own Groovy for real: the file is compiled and run by Groovy 2.4 as a script whose unknown
// method calls (pipeline, stage, steps, git, sh, error, ...) are recorded in source order, with
// their closures run in place, so every `script { }` body executes as written against `params`
// (from the request) and `env`. `error` stops the run as it fails a build; `sh(script: ...,
// returnStdout: true)` answers a fixed commit id. What it does not do: evaluate `when`, allocate
// agents, or run `sh` scripts (other tests run those with /bin/sh).
//
// Reads a JSON object {"jenkinsfile": text, "runs": [params, ...]} from the file named by the
// first argument; runs the file once per params object and writes, to the file named by the
// second, one {"calls": [{"name", "args", "named", "types"}], "error": message or null} per run.
// Argument values are written as Groovy's toString of them; "types" holds each value's class
// name (to show a value stayed a String).

import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import org.codehaus.groovy.control.CompilerConfiguration

class PipelineError extends RuntimeException {
    PipelineError(String message) { super(message) }
}

abstract class StandIn extends Script {
    static final String COMMIT = '9fceb02d0ae598e95dc970b74767f19372d61af8'
    static List calls = []

    def methodMissing(String name, Object rawArgs) {
        Object[] args = rawArgs instanceof Object[] ? (Object[]) rawArgs : [rawArgs] as Object[]
        Map named = [:]
        List positional = []
        List types = []
        Closure body = null
        for (Object a : args) {
            if (a instanceof Closure) {
                body = (Closure) a
            } else if (a instanceof Map) {
                a.each { k, v ->
                    named[String.valueOf(k)] = String.valueOf(v)
                    types << (v == null ? 'null' : v.getClass().name)
                }
            } else {
                positional << String.valueOf(a)
                types << (a == null ? 'null' : a.getClass().name)
            }
        }
        calls << [name: name, args: positional, named: named, types: types]
        if (name == 'error') {
            throw new PipelineError(positional ? positional[0] : '')
        }
        if (name == 'sh' && named.returnStdout == 'true') {
            return COMMIT + '\n'
        }
        if (body != null) {
            body.call()
        }
        return null
    }
}

def request = new JsonSlurper().parse(new File(args[0]), 'UTF-8')
def config = new CompilerConfiguration()
config.scriptBaseClass = StandIn.name
def script = new GroovyShell(this.class.classLoader, new Binding(), config).parse(request.jenkinsfile)
def results = request.runs.collect { params ->
    StandIn.calls = []
    script.binding = new Binding([params: new HashMap(params), env: [:], none: 'none'])
    String error = null
    try {
        script.run()
    } catch (PipelineError e) {
        error = e.message
    }
    [calls: StandIn.calls, error: error]
}
new File(args[1]).write(JsonOutput.toJson(results), 'UTF-8')
