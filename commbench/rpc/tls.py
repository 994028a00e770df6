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


USER_OPTIONS = {"cert": "--rpc-tls-cert", "key": "--rpc-tls-key", "ca": "--rpc-tls-ca"}
"""TLS material a user gives instead of the run-time CA: role -> the option naming it."""


def user_tls(cert: str | None, key: str | None, ca: str | None) -> dict[str, str] | None:
    """The user's TLS material checked before any server uses it; None when none is given.

    All three are needed (the servers present cert and key, the clients trust only ca),
    each must be readable PEM, the key must match the certificate, the CA must verify it,
    and it must name 127.0.0.1 (the servers listen on loopback). Otherwise
    :class:`commbench.errors.UserError` with one line naming the option and the problem.
    """
    import ssl

    from commbench.errors import UserError

    given = {"cert": cert, "key": key, "ca": ca}
    if not any(given.values()):
        return None
    missing = [USER_OPTIONS[k] for k, v in given.items() if not v]
    if missing:
        raise UserError(f"rpc TLS: {', '.join(missing)} missing (give cert, key and ca together)")
    for role, path in given.items():
        try:
            text = Path(path).read_bytes()
        except OSError as exc:
            raise UserError(f"{USER_OPTIONS[role]} {path}: {exc.strerror or exc}") from None
        if b"-----BEGIN " not in text:
            raise UserError(f"{USER_OPTIONS[role]} {path}: not a PEM file")
    try:
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise UserError(f"{USER_OPTIONS['cert']} {cert} / {USER_OPTIONS['key']} {key}: "
                        f"not a certificate and its key ({exc})") from None  # fmt: skip
    try:
        client = ssl.create_default_context(cafile=ca)
    except (ssl.SSLError, OSError) as exc:
        raise UserError(f"{USER_OPTIONS['ca']} {ca}: not a CA certificate ({exc})") from None
    reason = _handshake_problem(server, client)
    if reason:
        raise UserError(f"rpc TLS material ({cert}, {ca}): {reason}")
    return {k: str(Path(v).resolve()) for k, v in given.items()}


def _handshake_problem(server: object, client: object) -> str | None:
    """One TLS handshake in memory (no socket): the CA must verify the certificate for
    127.0.0.1. The reason it fails, or None."""
    import ssl

    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    c = client.wrap_bio(c_in, c_out, server_hostname=HOST)  # type: ignore[attr-defined]
    s = server.wrap_bio(s_in, s_out, server_side=True)  # type: ignore[attr-defined]
    for _ in range(10):  # a handshake is 2-3 flights; bounded
        done = 0
        for side in (c, s):
            try:
                side.do_handshake()
                done += 1
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLError as exc:
                return getattr(exc, "verify_message", None) or exc.reason or str(exc)
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if done == 2:
            return None
    return "the TLS handshake did not complete"
