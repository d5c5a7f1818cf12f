"""The header file of EXPORT MODEL ... OPTIONS(format='c'): its interface around the compiled graph.

    typedef struct { float bill_length_mm; int32_t island; ... } p_input;    one field per raw column
    typedef struct { int32_t predicted_species; float predicted_species_probs[3]; } p_output;
    static inline void p_predict(const p_input *in, p_output *out);
    static inline const char *p_species_name(int code);                       classifiers: the class's text
    static inline int32_t p_string_code(const char *s);                      strings: their code (binary search)
    enum p_island { P_ISLAND_NULL = 0, P_ISLAND_UNSEEN = -1, P_ISLAND_BISCOE = 3, ... };

A field is named after its column (made a C identifier); numbers are float (double for DOUBLE columns that
TRANSFORM reads in double precision), integers int64_t, strings (and booleans, dates, times) codes. NULL is a
sentinel, as in the ONNX export: NAN for numbers, INT64_MIN for integers, <P>_<COLUMN>_NULL (the code of the
empty string) for strings; a string the model never saw is <P>_<COLUMN>_UNSEEN (-1). A classifier's
predicted_<label> is the class's position (its text from <p>_<label>_name); kmeans' CENTROID_ID is 1-based.
"""

from __future__ import annotations

import numpy as np
import onnx

from sqlml.errors import ProgrammingError
from sqlml.export.c_source import Compiler
from sqlml.export.c_values import C_TYPES, UNSEEN, Value, identifier

STRING = onnx.TensorProto.STRING


def _fields(names: list[str], what: str) -> dict[str, str]:
    """Name -> C field name; ProgrammingError when two names become the same identifier."""
    fields: dict[str, str] = {}
    for name in names:
        field = identifier(name)
        clash = [other for other, f in fields.items() if f == field]
        if clash:
            raise ProgrammingError(
                f"EXPORT MODEL: {what} '{clash[0]}' and '{name}' both become the C field '{field}'; rename one"
            )
        fields[name] = field
    return fields


def _live(graph: onnx.GraphProto, outputs: list[str]) -> onnx.GraphProto:
    """The graph without the nodes and constants no output needs."""
    needed, kept = set(outputs), []
    for node in reversed(graph.node):
        if needed & set(node.output):
            kept.append(node)
            needed |= set(node.input)
    del graph.node[:]
    graph.node.extend(reversed(kept))
    constants = [tensor for tensor in graph.initializer if tensor.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(constants)
    return graph


def _label_source(graph: onnx.GraphProto, output: str) -> str:
    """A classifier's label output is Gather(classes, ArgMax(...)): the C output is that ArgMax (a code)."""
    producers = {out: node for node in graph.node for out in node.output}
    node = producers[output]
    while node.op_type == "Identity":
        node = producers[node.input[0]]
    return node.input[1] if node.op_type == "Gather" else output


def _string_inputs(graph: onnx.GraphProto, compiler: Compiler) -> dict[str, list[str]]:
    """Each string input -> the strings the graph compares it with directly (its vocabulary)."""
    vocabulary: dict[str, set[str]] = {i.name: set() for i in graph.input if i.type.tensor_type.elem_type == STRING}
    for node in graph.node:
        for name in node.input:
            if name in vocabulary:
                for a in node.attribute:
                    if a.name == "keys_strings":
                        vocabulary[name].update(s.decode() for s in a.strings)
                for other in node.input:
                    value = compiler.values.get(other)
                    if value is not None and value.text is not None:
                        vocabulary[name].update(str(v) for v in np.ravel(value.text))
    return {name: sorted(words - {""}, key=lambda s: s.encode()) for name, words in vocabulary.items()}


def _c_string(text: str) -> str:
    """A C string literal of UTF-8 text (octal escapes for anything but printable ASCII)."""
    out = []
    for byte in text.encode():
        ch = chr(byte)
        out.append(ch if 32 <= byte < 127 and ch not in '"\\?' else f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def _outputs(compiler: Compiler, names: list[str], sources: dict[str, str], label_output: str | None):
    """The output struct's fields, the statements copying into them, and their description for the driver."""
    fields = _fields(names, "output")
    struct, copies, shown = [], [], []
    for name in names:
        value, field = compiler.values[sources[name]], fields[name]
        ctype = "int32_t" if name == label_output else value.ctype
        vector = len(compiler.types[name][1]) > 1 and name != label_output  # [N, k]; [N] is one value
        if vector:
            struct.append(f"    {ctype} {field}[{value.size}];")
            copies.append(
                f"    for (int i = 0; i < {value.size}; ++i) out->{field}[i] = ({ctype}){compiler.ref(value)}[i];"
            )
        else:
            struct.append(f"    {ctype} {field};")
            copies.append(f"    out->{field} = ({ctype}){compiler.at(value, '0')};")
        shown.append({"name": name, "field": field, "ctype": ctype, "count": value.size if vector else None})
    return struct, copies, shown


def _string_codes(prefix: str, columns: dict[str, list[str]], strings) -> list[str]:
    """An enum per string column (its vocabulary's codes, NULL's and UNSEEN), the sorted table of strings and
    <prefix>_string_code, which finds a string in it by binary search."""
    P, lines = prefix.upper(), []
    taken: set[str] = set()  # across columns: column a_b's 'c' and column a's 'b_c' are both A_B_C
    for column, words in columns.items():
        upper = column.upper()
        members = [f"    {P}_{upper}_UNSEEN = {UNSEEN}", f"    {P}_{upper}_NULL = {strings.code['']}"]
        taken |= {f"{P}_{upper}_UNSEEN", f"{P}_{upper}_NULL"}
        for word in words:
            member = f"{P}_{upper}_{identifier(word).upper().strip('_') or 'VALUE'}"
            while member in taken:
                member += "_"
            taken.add(member)
            members.append(f"    {member} = {strings.code[word]}")
        lines += [f"enum {prefix}_{column}_code {{", ",\n".join(members), "};", ""]
    table = strings.strings
    return lines + [
        f"static const char *const {prefix}_strings[{len(table)}] = {{",
        *[f"    {_c_string(s)}," for s in table],
        "};",
        "",
        f"/* The code of a string (NULL: the empty string's, as a NULL column), or {UNSEEN} if the model never saw it. */",
        f"static inline int32_t {prefix}_string_code(const char *s)",
        "{",
        f"    int lo = 0, hi = {len(table)};",
        '    if (!s) s = "";',
        "    while (lo < hi) {",
        "        int mid = lo + (hi - lo) / 2, c = 0;",
        f"        const unsigned char *a = (const unsigned char *){prefix}_strings[mid], *b = (const unsigned char *)s;",
        "        while (*a && *a == *b) { ++a; ++b; }",
        "        c = (int)*a - (int)*b;",
        "        if (c == 0) return mid;",
        "        if (c < 0) lo = mid + 1; else hi = mid;",
        "    }",
        f"    return {UNSEEN};",
        "}",
        "",
    ]


def _class_names(prefix: str, label: str, classes: list) -> list[str]:
    names = ", ".join(_c_string(str(c).lower() if isinstance(c, bool) else str(c)) for c in classes)
    return [
        f"/* The text of class `code` (predicted_{identifier(label)}), or 0 for a code that is none. */",
        f"static inline const char *{prefix}_{identifier(label)}_name(int code)",
        "{",
        f"    static const char *const names[{len(classes)}] = {{{names}}};",
        f"    return code >= 0 && code < {len(classes)} ? names[code] : 0;",
        "}",
        "",
    ]


def header(
    graph: onnx.ModelProto, prefix: str, quantize: str, classes: list | None, label: str | None, doc: str
) -> tuple[str, dict]:
    """The header's text, and what the verification driver needs to know (inputs, outputs) and the
    compiler's weight bytes."""
    graph = onnx.ModelProto.FromString(graph.SerializeToString())
    outputs = [o.name for o in graph.graph.output]
    label_output = f"predicted_{label}" if classes is not None else None
    sources = {name: _label_source(graph.graph, name) if name == label_output else name for name in outputs}
    _live(graph.graph, list(sources.values()))
    compiler = Compiler(graph, quantize, prefix)
    inputs = [(i.name, i.type.tensor_type.elem_type) for i in graph.graph.input]
    fields = _fields([name for name, _ in inputs], "column")
    for name, elem in inputs:
        if elem not in C_TYPES:
            raise ProgrammingError(f"EXPORT MODEL: column '{name}' has no C form")
        compiler.values[name] = Value(f"(&in->{fields[name]})", C_TYPES[elem], (1, 1), string=elem == STRING)
    program = compiler.compile()
    struct, copies, shown = _outputs(compiler, outputs, sources, label_output)
    P = prefix.upper()
    lines = [
        f"/* {prefix}.h: {doc}",
        " * Generated by sqlml's EXPORT MODEL ... OPTIONS(format='c'); one header-only C99 file, no allocation.",
        f" * quantize='{quantize.lower()}'. Call {prefix}_predict(&in, &out) with one row in `in`.",
        " * NULL inputs: NAN for numbers, INT64_MIN for integers, <PREFIX>_<COLUMN>_NULL for strings. */",
        f"#ifndef {P}_H",
        f"#define {P}_H",
        "#include <stdint.h>",
        *(["#include <math.h>"] if program.math else []),
        "",
        "typedef struct {",
    ]
    for name, elem in inputs:
        note = f"  /* a string's code: {P}_{fields[name].upper()}_* */" if elem == STRING else ""
        lines.append(f"    {C_TYPES[elem]} {fields[name]};{note}")
    lines += [f"}} {prefix}_input;", "", "typedef struct {", *struct, f"}} {prefix}_output;", ""]
    vocabulary = _string_inputs(graph.graph, compiler)
    if vocabulary:
        lines += _string_codes(prefix, {fields[n]: words for n, words in vocabulary.items()}, compiler.strings)
    if classes is not None:
        lines += _class_names(prefix, label, classes)
    lines += program.constants
    lines += ["", f"static inline void {prefix}_predict(const {prefix}_input *in, {prefix}_output *out)", "{"]
    lines += ["    " + line for line in program.body]
    lines += [*copies, "    (void)in;", "}", "", f"#endif /* {P}_H */", ""]
    facts = {
        "inputs": [{"name": n, "field": fields[n], "ctype": C_TYPES[e], "string": e == STRING} for n, e in inputs],
        "outputs": shown,
        "weight_bytes": compiler.weight_bytes,
    }
    return "\n".join(lines), facts
