// Java regular expressions for the push-trigger tests: reads a JSON list of
// {"expression": ..., "text": ...} from the file named by the first argument and writes, to the
// file named by the second, a JSON list of answers: Pattern.compile(expression).matcher(text)
// .find(), which is how the Generic Webhook Trigger plugin (Renderer.isMatching) decides
// whether a job starts; or, for a case with "strip": true, text.replaceAll(expression, ""),
// which is what the plugin makes of a variable's value with a regexpFilter
// (FlattenerUtils.filter).

import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import java.util.regex.Pattern

def cases = new JsonSlurper().parse(new File(args[0]), 'UTF-8')
def results = cases.collect {
    it.strip ? it.text.replaceAll(it.expression, '') : Pattern.compile(it.expression).matcher(it.text).find()
}
new File(args[1]).write(JsonOutput.toJson(results), 'UTF-8')
