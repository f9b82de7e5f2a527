#!/usr/bin/env python3
"""A real SMTP server for tollguard's integration tests (aiosmtpd), on 127.0.0.1 only.

Modes: starttls (STARTTLS required before AUTH and MAIL), tls (implicit TLS from the first
byte), plain (no TLS; AUTH is never offered). Every accepted message is saved in --maildir as
N.eml (the bytes received) and N.json (envelope, authenticated user, TLS). Prints
"READY <port>" on stdout once it listens; --port 0 picks a free port.
"""
import argparse
import asyncio
import json
import os
import ssl

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Saver:
    def __init__(self, maildir):
        self.maildir = maildir
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        n = self.count
        self.count += 1
        base = os.path.join(self.maildir, str(n))
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "auth_user": (session.auth_data.login.decode()
                          if isinstance(session.auth_data, LoginPassword) else None),
            # STARTTLS sets session.ssl; implicit TLS shows on the transport.
            "tls": (session.ssl is not None
                    or server.transport.get_extra_info("ssl_object") is not None),
        }
        with open(base + ".json", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 OK saved"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
    return check


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["starttls", "tls", "plain"], required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--maildir", required=True)
    a = p.parse_args()
    ctx = None
    if a.mode != "plain":
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
    auth = authenticator(a.user, a.password) if a.user else None
    saver = Saver(a.maildir)

    def factory():
        kw = dict(authenticator=auth, auth_required=auth is not None,
                  hostname="localhost", ident="tollguard test SMTP")
        if a.mode == "starttls":
            return SMTP(saver, tls_context=ctx, require_starttls=True,
                        auth_require_tls=True, **kw)
        if a.mode == "tls":
            # aiosmtpd cannot see that the socket is TLS from the first byte.
            return SMTP(saver, auth_require_tls=False, **kw)
        return SMTP(saver, auth_require_tls=True, **kw)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, "127.0.0.1", a.port,
                                      ssl=ctx if a.mode == "tls" else None)
    print("READY", server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
