def test_broken(benchmark):
    benchmark(lambda: None)
    raise AssertionError("this benchmark fails on purpose")
