"""One module per messaging client: ``producer(config, recorder)`` and
``consumer(config, recorder)``, run inside :mod:`commbench.messaging.worker` processes."""
