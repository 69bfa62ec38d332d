// Reads config.xml files with the JDK's StAX parser, the one Jenkins' XStream2 uses, and writes
// the text of every leaf element as JSON: {file: {"path/to/element": text}} to args[0].
import groovy.json.JsonOutput
import javax.xml.stream.XMLInputFactory
import javax.xml.stream.XMLStreamConstants

def result = [:]
def factory = XMLInputFactory.newInstance()
args.drop(1).each { path ->
    def texts = [:]
    def stack = []
    def buf = null
    def input = new FileInputStream(path)
    def reader = factory.createXMLStreamReader(input)
    while (reader.hasNext()) {
        int event = reader.next()
        if (event == XMLStreamConstants.START_ELEMENT) {
            stack.add(reader.localName)
            buf = new StringBuilder()
        } else if (event == XMLStreamConstants.CHARACTERS || event == XMLStreamConstants.CDATA) {
            if (buf != null) buf.append(reader.text)
        } else if (event == XMLStreamConstants.END_ELEMENT) {
            if (buf != null) texts[stack.join('/')] = buf.toString()
            stack.remove(stack.size() - 1)
            buf = null
        }
    }
    reader.close()
    input.close()
    result[path] = texts
}
new File(args[0]).setText(JsonOutput.toJson(result), 'UTF-8')
