// AST summary server for the Jenkinsfile tests.
//
// Reads requests from stdin, each "<byte length>\n<UTF-8 Jenkinsfile>", and answers each with one
// JSON line on stdout: {"errors": [{line, column, message}], "calls": [{name, args, named, within}],
// "strings": [...], "gstrings": N}. The text is parsed the way Jenkins parses a Jenkinsfile (a
// SourceUnit over a String, so Groovy's UnicodeEscapingReader runs first) up to CONVERSION, which
// needs no Jenkins classes on the classpath.

import groovy.json.JsonOutput
import org.codehaus.groovy.ast.CodeVisitorSupport
import org.codehaus.groovy.ast.expr.ArgumentListExpression
import org.codehaus.groovy.ast.expr.ConstantExpression
import org.codehaus.groovy.ast.expr.Expression
import org.codehaus.groovy.ast.expr.GStringExpression
import org.codehaus.groovy.ast.expr.MapExpression
import org.codehaus.groovy.ast.expr.MethodCallExpression
import org.codehaus.groovy.ast.expr.StaticMethodCallExpression
import org.codehaus.groovy.ast.expr.TupleExpression
import org.codehaus.groovy.control.CompilationUnit
import org.codehaus.groovy.control.CompilerConfiguration
import org.codehaus.groovy.control.MultipleCompilationErrorsException
import org.codehaus.groovy.control.Phases
import org.codehaus.groovy.control.SourceUnit
import org.codehaus.groovy.control.messages.ExceptionMessage
import org.codehaus.groovy.control.messages.SyntaxErrorMessage
import org.codehaus.groovy.control.ErrorCollector

class Summary extends CodeVisitorSupport {
    List calls = []
    List strings = []
    int gstrings = 0
    List<String> enclosing = []

    static Object constantOf(Expression e) {
        if (e instanceof ConstantExpression && ((ConstantExpression) e).value instanceof String) {
            return ((ConstantExpression) e).value
        }
        return null
    }

    void record(String name, Expression arguments) {
        List args = []
        Map named = [:]
        List exprs = arguments instanceof TupleExpression ? ((TupleExpression) arguments).expressions : [arguments]
        for (Expression a : exprs) {
            if (a instanceof MapExpression) {
                for (entry in ((MapExpression) a).mapEntryExpressions) {
                    def key = constantOf(entry.keyExpression)
                    def value = constantOf(entry.valueExpression)
                    if (key != null && value != null) {
                        named[key] = value
                    }
                }
            } else {
                def value = constantOf(a)
                if (value != null) {
                    args << value
                }
            }
        }
        calls << [name: name, args: args, named: named, within: new ArrayList(enclosing)]
    }

    @Override
    void visitMethodCallExpression(MethodCallExpression call) {
        String name = call.methodAsString ?: '<dynamic>'
        record(name, call.arguments)
        call.objectExpression.visit(this)
        call.method.visit(this)
        enclosing.add(name)
        try {
            call.arguments.visit(this)
        } finally {
            enclosing.remove(enclosing.size() - 1)
        }
    }

    @Override
    void visitStaticMethodCallExpression(StaticMethodCallExpression call) {
        record(call.method, call.arguments)
        enclosing.add(call.method)
        try {
            call.arguments.visit(this)
        } finally {
            enclosing.remove(enclosing.size() - 1)
        }
    }

    @Override
    void visitConstantExpression(ConstantExpression e) {
        if (e.value instanceof String) {
            strings << e.value
        }
    }

    @Override
    void visitGStringExpression(GStringExpression e) {
        gstrings++
        super.visitGStringExpression(e)
    }
}

Map summarize(String text) {
    def config = new CompilerConfiguration()
    def unit = new CompilationUnit(config)
    def source = new SourceUnit('Jenkinsfile', text, config, unit.classLoader, new ErrorCollector(config))
    unit.addSource(source)
    List errors = []
    try {
        unit.compile(Phases.CONVERSION)
    } catch (MultipleCompilationErrorsException e) {
        for (m in e.errorCollector.errors) {
            if (m instanceof SyntaxErrorMessage) {
                def cause = m.cause
                errors << [line: cause.line, column: cause.startColumn, message: cause.originalMessage]
            } else if (m instanceof ExceptionMessage) {
                errors << [line: 0, column: 0, message: String.valueOf(m.cause)]
            } else {
                errors << [line: 0, column: 0, message: m.toString()]
            }
        }
        return [errors: errors, calls: [], strings: [], gstrings: 0]
    } catch (Throwable t) {
        return [errors: [[line: 0, column: 0, message: t.toString()]], calls: [], strings: [], gstrings: 0]
    }
    def summary = new Summary()
    def module = source.AST
    module.statementBlock.visit(summary)
    for (method in module.methods) {
        method.code?.visit(summary)
    }
    for (cls in module.classes) {
        if (!cls.isScript()) {
            for (method in cls.methods) {
                method.code?.visit(summary)
            }
        }
    }
    return [errors: errors, calls: summary.calls, strings: summary.strings, gstrings: summary.gstrings]
}

def input = new DataInputStream(new BufferedInputStream(System.in))
def out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, 'UTF-8')
while (true) {
    def header = new ByteArrayOutputStream()
    int b
    while ((b = input.read()) != -1 && b != 10) {
        header.write(b)
    }
    if (b == -1) {
        break
    }
    int length = Integer.parseInt(header.toString('US-ASCII').trim())
    byte[] body = new byte[length]
    input.readFully(body)
    def text = new String(body, 'UTF-8')
    out.println(JsonOutput.toJson(summarize(text)))
    out.flush()
}
