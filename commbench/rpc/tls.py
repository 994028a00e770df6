"""TLS material made at run time: a private CA and a server certificate for 127.0.0.1.

The secure channel is the lecture's security middleware; its cost is measured by
running the same calls with TLS off and on. Nothing here touches the system's
trust store: the client trusts only this CA, for this run.
"""

from __future__ import annotations

from pathlib import Path

from commbench.rpc import Unsupported

HOST = "127.0.0.1"


def make_tls(directory: Path) -> dict[str, str]:
    """Write ``ca.pem``, ``cert.pem`` and ``key.pem`` into *directory*; their paths."""
    try:
        import trustme
    except ImportError:
        raise Unsupported("trustme is not installed (TLS certificates)") from None
    ca = trustme.CA()
    server = ca.issue_cert(HOST, "localhost")
    paths = {
        "ca": directory / "ca.pem",
        "cert": directory / "cert.pem",
        "key": directory / "key.pem",
    }
    ca.cert_pem.write_to_path(str(paths["ca"]))
    server.cert_chain_pems[0].write_to_path(str(paths["cert"]))
    for extra in server.cert_chain_pems[1:]:
        extra.write_to_path(str(paths["cert"]), append=True)
    server.private_key_pem.write_to_path(str(paths["key"]))
    return {k: str(v) for k, v in paths.items()}
