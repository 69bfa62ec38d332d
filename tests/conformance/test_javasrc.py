"""The Java source reader on the constructs the pinned Jenkins sources use.

The snippets are written here to exercise each construct (they are not copies of Jenkins
files); scripts/jenkins-facts.py runs the reader on the real sources, and the facts it wrote
are checked in test_conformance.py and test_walkers.py.
"""

from __future__ import annotations

from tests.conformance.javasrc import JavaClass, blank_literals, parse_java, split_top

SOURCE = r"""
package org.example.things;

import java.util.List;
import hudson.model.Node.Mode;
import org.example.other.*;
import static java.util.Objects.requireNonNull;

/** A class with { braces } in its comment. */
@Restricted(NoExternalUse.class)
public class Widget extends AbstractThing<Widget, Widget.DescriptorImpl>
        implements Describable<Widget>, Serializable {
    private static final String BRACE = "}{ \" ;";  // } not a member end
    private static final char C = '}';
    private transient MessageDigest md;
    private final @CheckForNull String label;
    protected List<? extends NodeProperty<?>> props = new ArrayList<>();
    public final int a, b = 2;
    private Runnable r = () -> { doIt(); };
    private Object anon = new Object() { public String toString() { return "x"; } };
    private int[] numbers = {1, 2, 3};

    @Deprecated
    public Widget() { this("a"); }

    @DataBoundConstructor
    public Widget(@NonNull String label, List<String> tags, String... more) {
        this.label = label;
    }

    @DataBoundSetter
    @Deprecated
    public void setRemoteFs(String remoteFs) { if (remoteFs != null) { } }

    @Deprecated @DataBoundSetter public void setOld(boolean old) {}

    @SuppressFBWarnings(value = {"A", "B"}, justification = "x")
    @DataBoundSetter
    public void setMode(Mode mode) {}

    public <T> T convert(Class<T> type) { return null; }

    public String getLabel() { return label; }

    public boolean isEnabled() { return true; }

    static { init(); }

    public enum Kind { ONE, TWO("x") { @Override String f() { return "}"; } }, THREE;
        String f() { return ""; } }

    @Extension @Symbol({"widget", "oldWidget"})
    public static final class DescriptorImpl extends Descriptor<Widget> {
        @Override public String getDisplayName() { return "Widget"; }
    }

    public interface Listener { void setValue(String v); default int getCount() { return 0; } }
}
"""


def _classes() -> dict[str, JavaClass]:
    return {c.qualified: c for c in parse_java(SOURCE).all_classes()}


def test_package_imports_and_nested_classes() -> None:
    jfile = parse_java(SOURCE)
    assert jfile.package == "org.example.things"
    assert jfile.imports == ["java.util.List", "hudson.model.Node.Mode"]
    assert jfile.wildcard_imports == ["org.example.other"]
    assert sorted(_classes()) == [
        "org.example.things.Widget",
        "org.example.things.Widget$DescriptorImpl",
        "org.example.things.Widget$Kind",
        "org.example.things.Widget$Listener",
    ]


def test_class_header() -> None:
    widget = _classes()["org.example.things.Widget"]
    assert widget.superclass == "AbstractThing"
    assert widget.super_args == ["Widget", "Widget.DescriptorImpl"]
    assert widget.interfaces == ["Describable", "Serializable"]
    assert widget.annotations == {"Restricted": "NoExternalUse.class"}
    assert not widget.is_abstract


def test_fields_with_modifiers_types_and_initializers_holding_braces() -> None:
    widget = _classes()["org.example.things.Widget"]
    fields = {m.name: m for m in widget.members if m.kind == "field"}
    assert list(fields) == ["BRACE", "C", "md", "label", "props", "a", "b", "r", "anon", "numbers"]
    assert "transient" in fields["md"].modifiers
    assert fields["label"].type == "String" and "final" in fields["label"].modifiers
    assert fields["props"].type == "List<? extends NodeProperty<?>>"
    assert fields["b"].type == "int" and "public" in fields["b"].modifiers
    assert fields["numbers"].type == "int[]"


def test_constructors_setters_getters_and_annotations() -> None:
    widget = _classes()["org.example.things.Widget"]
    ctors = [m for m in widget.members if m.kind == "constructor"]
    assert [sorted(c.annotations) for c in ctors] == [["Deprecated"], ["DataBoundConstructor"]]
    assert [(p.name, p.type) for p in ctors[1].params] == [
        ("label", "String"),
        ("tags", "List<String>"),
        ("more", "String[]"),
    ]
    methods = {m.name: m for m in widget.members if m.kind == "method"}
    assert set(methods["setRemoteFs"].annotations) == {"DataBoundSetter", "Deprecated"}
    assert set(methods["setOld"].annotations) == {"DataBoundSetter", "Deprecated"}
    assert set(methods["setMode"].annotations) == {"SuppressFBWarnings", "DataBoundSetter"}
    assert methods["setMode"].params[0].type == "Mode"
    assert methods["convert"].type == "T"
    assert methods["getLabel"].type == "String" and methods["isEnabled"].type == "boolean"
    # a member's line is where its declaration starts, first annotation included
    start = SOURCE.index("@DataBoundSetter\n    @Deprecated\n    public void setRemoteFs")
    assert methods["setRemoteFs"].line == SOURCE.count("\n", 0, start) + 1


def test_enum_constants_descriptor_symbol_and_interface_members() -> None:
    classes = _classes()
    assert classes["org.example.things.Widget$Kind"].constants == ["ONE", "TWO", "THREE"]
    descriptor = classes["org.example.things.Widget$DescriptorImpl"]
    assert descriptor.annotations["Symbol"] == '{"widget", "oldWidget"}'
    assert descriptor.superclass == "Descriptor" and descriptor.super_args == ["Widget"]
    listener = classes["org.example.things.Widget$Listener"]
    assert listener.is_abstract
    members = {m.name: m.modifiers for m in listener.members}
    assert "public" in members["setValue"] and "abstract" in members["setValue"]
    assert "abstract" not in members["getCount"]


def test_literals_are_blanked_and_kept() -> None:
    text, strings = blank_literals("a = \"x}{\" + '}'; // {\n/* } */ b")
    assert "{" not in text.replace('"#0"', "") and strings == ["x}{"]
    assert text.count("\n") == 1


def test_split_top_respects_nesting() -> None:
    assert split_top("Map<String, List<X>> a, int b") == ["Map<String, List<X>> a", "int b"]
