"""A live `dimona-ledger serve` for the Python suites (OpenAPI conformance, hostile requests).

start_golden_server() makes a temporary data directory (0700) with its own secret, ingests
tests/data/golden/students.ndjson, starts `serve --port 0` on 127.0.0.1, reads the port from
its first line and mints a token per role with the development key. The returned Live holds
the server, the tokens and the folder; Live.close() stops the server (SIGTERM) and removes
the folder unless asked to keep it. Standard library only.
"""

import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time

# The people of the golden data (tests/data/golden/students.ndjson).
CITIZEN = "05031412595"       # a student: periods at both employers, an attestation, a revoked consent
CITIZEN2 = "85073003328"      # an interim and flexi worker with a career-break request
EMPLOYER = "0403019261"       # employer with settings, requests, career-break files
EMPLOYER2 = "0403019360"
USER_COMPANY = "0876543270"   # a user company, with no settings
GRANTED_TICKET = "690000000262"  # C2's request at EMPLOYER, GRANTED (employee part completed)
SSINS = (CITIZEN, CITIZEN2, "04070101124")

# name -> (role, ssin, enterprise number)
GOLDEN_TOKENS = {
    "citizen": ("citizen", CITIZEN, None),
    "citizen2": ("citizen", CITIZEN2, None),
    "employer": ("employer", None, EMPLOYER),
    "employer2": ("employer", None, EMPLOYER2),
    "agency": ("agency", None, EMPLOYER),
    "auditor": ("auditor", None, None),
    "declarant": ("declarant", None, EMPLOYER),
}


class Server:
    def __init__(self, cli, data_dir, key_file, env, extra_args=()):
        self.cli, self.data_dir, self.key_file, self.env = cli, data_dir, key_file, env
        self.stdout, self.stderr = [], []
        self.proc = subprocess.Popen([cli, "serve", "--data", data_dir, "--secret-file", key_file, "--port", "0",
                                      *extra_args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        first = self._first_line(30)
        self.stdout.append(first)
        m = re.match(r"serving (https?)://([0-9.]+):([0-9]+)", first)
        if not m:
            self.proc.kill()
            raise RuntimeError(f"serve's first line is not 'serving http://ADDRESS:PORT ...': {first!r}; "
                               f"stderr: {self.proc.stderr.read().decode(errors='replace')[:500]}")
        self.host, self.port = m.group(2), int(m.group(3))
        self.drains = [threading.Thread(target=self._drain, args=(self.proc.stdout, self.stdout), daemon=True),
                       threading.Thread(target=self._drain, args=(self.proc.stderr, self.stderr), daemon=True)]
        for t in self.drains:
            t.start()

    def _first_line(self, timeout):
        deadline = time.monotonic() + timeout
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                break
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 1)
                if not chunk:
                    break
                line += chunk
        return line.decode(errors="replace")

    @staticmethod
    def _drain(stream, sink):
        for line in iter(stream.readline, b""):
            sink.append(line.decode(errors="replace"))

    def stop(self, timeout=25):
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = None
        seconds = time.monotonic() - t0
        for t in self.drains:  # the pipes reach EOF once the process is gone
            t.join(5)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code, seconds


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body
        self.json = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    @property
    def media_type(self):
        return (self.header("content-type") or "").split(";")[0].strip().lower()



def mint(cli, data_dir, env, role, ssin=None, enterprise=None):
    args = [cli, "token", "--role", role, "--data", data_dir]
    if ssin:
        args += ["--ssin", ssin]
    if enterprise:
        args += ["--enterprise-number", enterprise]
    out = subprocess.run(args, capture_output=True, text=True, env=env, timeout=30)
    if out.returncode != 0:
        raise RuntimeError(f"token --role {role}: exit {out.returncode}: {out.stderr.strip()}")
    return out.stdout.strip()


class Live:
    def __init__(self, server, tokens, tmp, env):
        self.server, self.tokens, self.tmp, self.env = server, tokens, tmp, env

    def close(self, keep=False):
        code, seconds = self.server.stop()
        if not keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return code, seconds


def start_golden_server(cli, source_dir, prefix, token_specs=GOLDEN_TOKENS, extra_args=()):
    """Ingests the golden stream into a fresh folder and serves it; raises RuntimeError on failure."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIMONA_")}
    tmp = tempfile.mkdtemp(prefix=prefix)
    data_dir = os.path.join(tmp, "data")
    key_file = os.path.join(tmp, "secret.key")
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, os.urandom(32))
    os.close(fd)
    golden = os.path.join(source_dir, "tests", "data", "golden", "students.ndjson")
    ingest = subprocess.run([cli, "ingest", golden, "--data", data_dir, "--secret-file", key_file,
                             "--report", os.path.join(tmp, "refused.ndjson")],
                            capture_output=True, text=True, env=env, timeout=120)
    if ingest.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise RuntimeError(f"ingest failed (exit {ingest.returncode}): {ingest.stderr.strip()[-500:]}")
    server = Server(cli, data_dir, key_file, env, extra_args)
    try:
        tokens = {name: mint(cli, data_dir, env, role, ssin=ssin, enterprise=enterprise)
                  for name, (role, ssin, enterprise) in token_specs.items()}
    except RuntimeError:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Live(server, tokens, tmp, env)
