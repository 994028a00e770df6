"""A family whose benchmark fails: `commbench run` must not report success."""

from pathlib import Path

from commbench.families import Family, RowFamily

FAMILIES = [
    Family(
        name="broken",
        title="Broken",
        bench_modules=(str(Path(__file__).with_name("bench_broken.py")),),
        rows=(RowFamily("broken", "Broken"),),
    )
]
