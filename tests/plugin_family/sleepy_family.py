"""A family whose benchmark takes long: for the Ctrl-C test of `commbench run`."""

from pathlib import Path

from commbench.families import Family, RowFamily

FAMILIES = [
    Family(
        name="sleepy",
        title="Sleepy",
        bench_modules=(str(Path(__file__).with_name("bench_sleepy.py")),),
        rows=(RowFamily("sleepy", "Sleepy"),),
    )
]
