// Branch globs for the push-trigger tests: reads a JSON list of {"glob", "name", "regex"} from
// the file named by the first argument and writes, to the file named by the second, a JSON
// list of {"ant": ..., "ant_ignore_case": ..., "regex": ...}: Ant's
// SelectorUtils.matchPath(glob, name, caseSensitive), which Declarative's
// `when { branch comparator: 'GLOB' }` calls (Comparator.GLOB, with caseSensitive false), and
// Pattern.compile(regex).matcher(name).matches(), as String.matches does in the Jenkinsfile.
// Ant comes from the Debian package `ant` on Groovy's class path.

import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import java.util.regex.Pattern
import org.apache.tools.ant.types.selectors.SelectorUtils

def cases = new JsonSlurper().parse(new File(args[0]), 'UTF-8')
def compiled = [:]
def results = cases.collect {
    def pattern = compiled.computeIfAbsent(it.regex) { r -> Pattern.compile(r) }
    [
        ant: SelectorUtils.matchPath(it.glob, it.name, true),
        ant_ignore_case: SelectorUtils.matchPath(it.glob, it.name, false),
        regex: pattern.matcher(it.name).matches(),
    ]
}
new File(args[1]).write(JsonOutput.toJson(results), 'UTF-8')
