"""The model card EXPORT MODEL writes is ML.MODEL_CARD's, for the version exported, plus a section on the
export whose figures are the statement's result row and whose inputs are the graph's."""

from __future__ import annotations

import json

import onnxruntime as ort

from tests.export.onnx_helpers import result_row


def test_exported_card_is_the_engine_card_plus_the_export(data, tmp_path):
    cur = data.cursor()
    for kind in ("logistic_reg", "boosted_tree_classifier"):  # versions 1 and 2
        cur.execute(
            f"CREATE OR REPLACE MODEL carded OPTIONS(model_type='{kind}', input_label_cols=['sex']) "
            "AS SELECT species, bill_depth_mm, body_mass_g, sex FROM penguins"
        )
    cur.execute("ALTER MODEL carded SET OPTIONS(description='Tells <b>sex</b> from size', labels=[('team', 'field')])")
    cur.execute(f"EXPORT MODEL carded OPTIONS(uri='{tmp_path}/c.onnx', version=1)")
    result = result_row(cur)
    cur.execute("SELECT model_card FROM ML.MODEL_CARD(MODEL carded VERSION 1)")
    (engine,) = cur.fetchone()
    exported = (tmp_path / "c.md").read_text()
    assert engine.startswith("# Model card: main.carded (version 1)\n") and "Tells \\<b>sex\\</b> from size" in engine
    assert exported.startswith(engine)
    export = exported[len(engine) :]
    assert export.startswith("\n## Export (ONNX)\n") and "\n## " not in export[1:]
    graph_inputs = [i.name for i in ort.InferenceSession(str(tmp_path / "c.onnx")).get_inputs()]
    table = [line.split(" | ")[0].lstrip("| ") for line in export.splitlines() if line.startswith("| ")][1:]
    assert table == graph_inputs == [i["name"] for i in json.loads((tmp_path / "c.json").read_text())["inputs"]]
    assert f"on {result['rows_verified']} evaluation rows" in export
    assert f"label agreement {result['label_agreement']:.4%}" in export and f"{result['bytes']:,} bytes" in export
