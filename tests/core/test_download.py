"""The weight downloader against a real HTTP server on 127.0.0.1 that can cut a download short,
ignore Range requests or serve tampered bytes; the cache lives in tmp_path (TORCH_HOME)."""

from __future__ import annotations

import hashlib
import io
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch

from playground.core.download import (DownloadError, TerminalProgress, WeightFile, cached_path, fetch,
                                      hub_checkpoints_dir, sha256_of)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, files: dict[str, bytes]):
        super().__init__(("127.0.0.1", 0), Handler)
        self.files = files
        self.ranges: list = []  # the Range header of each request, None when absent
        self.cut_after = None  # bytes of the body to send before hanging up, next request only
        self.honour_range = True
        self.tampered = False

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{name}"


class Handler(BaseHTTPRequestHandler):
    server: Server

    def do_GET(self):
        server = self.server
        asked = self.headers.get("Range")
        server.ranges.append(asked)
        body = server.files.get(self.path.lstrip("/"))
        if body is None:
            self.send_error(404)
            return
        if server.tampered:
            body = body[:100] + bytes([body[100] ^ 1]) + body[101:]
        start = int(asked.removeprefix("bytes=").rstrip("-")) if asked and server.honour_range else 0
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        body = body[start:]
        if server.cut_after is not None:
            body, server.cut_after = body[:server.cut_after], None
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def weights_bytes() -> bytes:
    """A real (small) state dict as torch.save writes it, a few hundred KB."""
    buffer = io.BytesIO()
    torch.save({"conv.weight": torch.randn(64, 3, 7, 7), "fc.weight": torch.randn(100, 1000)}, buffer)
    return buffer.getvalue()


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    for name in ("no_proxy", "NO_PROXY"):  # a proxy from the environment must not take 127.0.0.1
        monkeypatch.setenv(name, "*")
    return tmp_path / "torch" / "hub" / "checkpoints"


@pytest.fixture
def server(weights_bytes):
    server = Server({"tiny-1234abcd.pth": weights_bytes})
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def file(server, weights_bytes) -> WeightFile:
    return WeightFile("tiny-1234abcd.pth", server.url("tiny-1234abcd.pth"),
                      hashlib.sha256(weights_bytes).hexdigest(), len(weights_bytes))


def dead_url(name: str) -> str:
    """A URL on a port where nothing listens: the connection is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/{name}"


def partial_of(path: Path) -> Path:
    return path.with_name(path.name + ".partial")


def test_downloads_verifies_and_then_uses_the_cache_without_a_request(cache, server, file):
    seen = []
    path = fetch(file, lambda done, total: seen.append((done, total)))
    assert path == cache / file.name == cached_path(file)
    assert sha256_of(path) == file.sha256
    state = torch.load(path, weights_only=True)
    assert state["conv.weight"].shape == (64, 3, 7, 7)
    assert seen[0] == (0, file.size) and seen[-1] == (file.size, file.size)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert sorted(p.name for p in cache.iterdir()) == [file.name]

    assert fetch(file) == path
    assert len(server.ranges) == 1


def test_a_tampered_download_is_refused_and_nothing_is_kept(cache, server, file):
    server.tampered = True
    with pytest.raises(DownloadError, match="checksum") as caught:
        fetch(file)
    assert file.name in str(caught.value) and "deleted" in str(caught.value)
    assert list(cache.iterdir()) == []


def test_an_interrupted_download_resumes_with_a_range_request(cache, server, file):
    half = file.size // 2
    server.cut_after = half
    with pytest.raises(DownloadError, match="resumes") as caught:
        fetch(file)
    assert file.name in str(caught.value) and file.url in str(caught.value)
    assert partial_of(cache / file.name).stat().st_size == half
    assert not (cache / file.name).exists()

    seen = []
    path = fetch(file, lambda done, total: seen.append(done))
    assert server.ranges == [None, f"bytes={half}-"]
    assert seen[0] == half and seen[-1] == file.size
    assert sha256_of(path) == file.sha256
    assert not partial_of(path).exists()


def test_a_server_that_ignores_range_still_gives_the_right_file(cache, server, file):
    server.cut_after = file.size // 3
    with pytest.raises(DownloadError):
        fetch(file)
    server.honour_range = False
    seen = []
    path = fetch(file, lambda done, total: seen.append(done))
    assert server.ranges[-1] == f"bytes={file.size // 3}-"
    assert seen[0] == 0 and seen[-1] == file.size
    assert sha256_of(path) == file.sha256 and path.stat().st_size == file.size


def test_without_a_server_the_error_says_which_file_to_put_where(cache):
    file = WeightFile("tiny-1234abcd.pth", dead_url("tiny-1234abcd.pth"), "0" * 64, 1000)
    with pytest.raises(DownloadError) as caught:
        fetch(file)
    message = str(caught.value)
    assert file.name in message and file.url in message and str(cache) in message
    assert "no connection" in message
    assert not cache.exists() or list(cache.iterdir()) == []


def test_a_server_that_never_answers_times_out(cache):
    with socket.socket() as listening:  # accepts connections in the kernel, never reads a request
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        url = f"http://127.0.0.1:{listening.getsockname()[1]}/tiny-1234abcd.pth"
        with pytest.raises(DownloadError, match=r"no answer within 0.2 s"):
            fetch(WeightFile("tiny-1234abcd.pth", url, "0" * 64, 1000), timeout=0.2)


def damage(path: Path) -> bytes:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(data)
    return bytes(data)


def test_a_damaged_cached_file_is_replaced_by_a_fresh_download(cache, server, file):
    path = fetch(file)
    damage(path)
    assert fetch(file) == path
    assert sha256_of(path) == file.sha256
    assert len(server.ranges) == 2 and not partial_of(path).exists()


def test_a_damaged_cached_file_is_not_used_when_no_fresh_copy_can_be_had(cache, server, file):
    path = fetch(file)
    damaged = damage(path)
    offline = WeightFile(file.name, dead_url(file.name), file.sha256, file.size)
    with pytest.raises(DownloadError, match="damaged") as caught:
        fetch(offline)
    message = str(caught.value)
    assert file.name in message and str(cache) in message and offline.url in message
    assert path.read_bytes() == damaged  # left for the user to see, never returned


def test_hub_checkpoints_dir_follows_torch_rules(tmp_path, monkeypatch):
    def agrees_with_torch() -> Path:
        assert torch.hub._hub_dir is None  # set_dir() would override the environment
        assert hub_checkpoints_dir() == Path(torch.hub.get_dir()) / "checkpoints"
        return hub_checkpoints_dir()

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert agrees_with_torch() == tmp_path / "th" / "hub" / "checkpoints"
    monkeypatch.delenv("TORCH_HOME")
    assert agrees_with_torch() == tmp_path / "xdg" / "torch" / "hub" / "checkpoints"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert agrees_with_torch() == tmp_path / "home" / ".cache" / "torch" / "hub" / "checkpoints"


def test_terminal_progress_draws_one_line_and_ends_it():
    out = io.StringIO()
    bar = TerminalProgress("tiny.pth", out)
    for done in range(0, 10_000_001, 1_000_000):  # in a burst: only the first and the last are drawn
        bar(done, 10_000_000)
    text = out.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n") and text.count("\n") == 1
    assert "10.0/10.0 MB" in text and "100%" in text and "0.0/10.0 MB" in text


def test_the_downloader_imports_no_torch():
    code = "import sys, playground.core.download; print([m for m in sys.modules if m.startswith('torch')])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
