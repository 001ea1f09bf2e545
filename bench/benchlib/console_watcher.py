"""An open console page, as far as the daemon can tell: the event stream connected the whole time, and the page's
refresh every 5 s (the status and the group's lag history), over HTTPS with a viewer token. For the benchmark that
measures what an open console costs the mirror."""
import http.client
import ssl
import threading
import time


class ConsoleWatcher:
    def __init__(self, base: str, token: str, group: str, refresh: float = 5.0):
        host_port = base.removeprefix("https://")
        self.host, self.port = host_port.split(":")[0], int(host_port.split(":")[1])
        self.headers = {"Authorization": f"Bearer {token}"}
        self.group, self.refresh = group, refresh
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE   # loopback, the node's own certificate
        self.stopping = threading.Event()
        self.figures = {"events": 0, "polls": 0, "errors": 0}
        self.threads = [threading.Thread(target=self._stream, daemon=True),
                        threading.Thread(target=self._poll, daemon=True)]
        self.stream_connection: http.client.HTTPSConnection | None = None

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> dict:
        self.stopping.set()
        if self.stream_connection is not None:
            try:
                self.stream_connection.sock.close()
            except (OSError, AttributeError):
                pass
        for thread in self.threads:
            thread.join(timeout=10)
        return dict(self.figures)

    def _connection(self, timeout: float) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=timeout)

    def _stream(self) -> None:
        while not self.stopping.is_set():
            try:
                self.stream_connection = self._connection(timeout=30)
                self.stream_connection.request("GET", "/api/v1/events/stream", headers=self.headers)
                response = self.stream_connection.getresponse()
                while not self.stopping.is_set():
                    line = response.fp.readline()
                    if not line:
                        break
                    if line.startswith(b"id: "):
                        self.figures["events"] += 1
            except (OSError, http.client.HTTPException):
                if not self.stopping.is_set():
                    self.figures["errors"] += 1
                    time.sleep(1)

    def _poll(self) -> None:
        while not self.stopping.wait(self.refresh):
            for path in ("/api/v1/status", f"/api/v1/groups/{self.group}/lag?window=3600"):
                try:
                    connection = self._connection(timeout=10)
                    connection.request("GET", path, headers=self.headers)
                    response = connection.getresponse()
                    response.read()
                    connection.close()
                    self.figures["polls"] += 1
                    if response.status != 200:
                        self.figures["errors"] += 1
                except (OSError, http.client.HTTPException):
                    self.figures["errors"] += 1
