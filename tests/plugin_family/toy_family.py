"""A family from outside commbench: this file and bench_toy.py beside it, nothing else.

``commbench run --plugin tests/plugin_family/toy_family.py --suite toy`` runs it; the
report, the Markdown and the CSV show it without any commbench module changing.
"""

from pathlib import Path

from commbench.families import Component, Family, RowFamily
from commbench.report.page.blocks import Block, table_html


def toy_block(rows, ctx):
    body = [
        [str(r["subject"]), str(r["n"]), f"{r['metric.total']:.0f}"] for _, r in rows.iterrows()
    ]
    html = table_html(["subject", "n", "total"], body, caption=f"Toy sums. {ctx.describe()}.")
    return [Block("Toy sums", ctx.anchor("toy-sums"), html)]


def toy_markdown(rows, ctx):
    return "".join(
        f"- toy {r['subject']} n={r['n']} total={r['metric.total']:.0f}\n"
        for _, r in rows.iterrows()
    )


FAMILIES = [
    Family(
        name="toy",
        title="Toy",
        bench_modules=(str(Path(__file__).with_name("bench_toy.py")),),
        rows=(RowFamily("toy", "Toy sums", builders=[toy_block], markdown=toy_markdown),),
        components=lambda: [Component("tool", "ghost-tool", None, "ghost-tool is not installed")],
    )
]
