"""Importing an article from a web address: the page is fetched, then read as a saved page (html_reader).

The fetch is careful with what it is sent: http and https only (a redirect to any other scheme is refused),
at most MAX_REDIRECTS redirects, a TIMEOUT for each step, at most MAX_PAGE_BYTES read, and only an HTML page
(its Content-Type) is read. The article keeps the page's own URL (its canonical link) or else the address
the page was finally fetched from.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from email.message import Message
from urllib.parse import urljoin, urlsplit

from .errors import ImportFileError
from .formats.html_reader import read_html
from .formats.records import ArticleText
from .rules import URL_MAX, printable

TIMEOUT = 20.0  # seconds for connecting and for each read
MAX_REDIRECTS = 5
MAX_PAGE_BYTES = 20 * 1024 * 1024
HTML_TYPES = ("text/html", "application/xhtml+xml")
USER_AGENT = "Spanner article import (+https://example.invalid/spanner)"
_CHUNK = 1 << 16


def is_url(value: object) -> bool:
    """Whether an argument of ``annotator import`` is a web address rather than a path."""
    return isinstance(value, str) and value[:8].lower().startswith(("http://", "https://"))


def check_fetch_url(url: str) -> str:
    """``url`` if it can be fetched (http or https with a host, no spaces or control characters), else
    ImportFileError saying why."""
    url = url.strip()
    if len(url) > URL_MAX:
        raise ImportFileError(f"the address is longer than the {URL_MAX:,} characters a URL may have")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        raise ImportFileError("the address is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ImportFileError("only http:// and https:// addresses can be imported")
    if not parts.hostname:
        raise ImportFileError("the address names no web site (write it as https://site/page)")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise ImportFileError("the address holds spaces or control characters")
    return url


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def http_error_302(self, req, fp, code, msg, headers):
        location = headers.get("Location") or headers.get("URI")
        if location:
            try:
                check_fetch_url(urljoin(req.full_url, location))
            except ImportFileError as exc:
                raise ImportFileError(f"the site redirected to an address that is not followed: {exc}") from None
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _opener() -> urllib.request.OpenerDirector:
    # Only the handlers a web page needs: no file://, ftp:// or data: handler is installed.
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(), urllib.request.HTTPHandler(), urllib.request.HTTPSHandler(),
                    urllib.request.HTTPDefaultErrorHandler(), _Redirects(), urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    return opener


def fetch_page(url: str) -> tuple[bytes, str | None, str]:
    """The page at ``url``: (its bytes, the charset its server declared, the address it came from at last)."""
    url = check_fetch_url(url)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/html,*/*;q=0.5"})
    try:
        with _opener().open(request, timeout=TIMEOUT) as response:
            final = response.geturl() or url
            content_type = response.headers.get("Content-Type", "")
            kind = content_type.split(";", 1)[0].strip().lower()
            if kind and kind not in HTML_TYPES:
                raise ImportFileError(f"the address gives {printable(kind)[:80]}, not a web page (HTML)")
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > MAX_PAGE_BYTES:
                raise ImportFileError(f"the page is too large ({int(length):,} bytes; at most {MAX_PAGE_BYTES:,})")
            data = bytearray()
            while chunk := response.read(_CHUNK):
                data += chunk
                if len(data) > MAX_PAGE_BYTES:
                    raise ImportFileError(f"the page is too large (more than {MAX_PAGE_BYTES:,} bytes)")
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            raise ImportFileError(f"the site redirected more than {MAX_REDIRECTS} times") from None
        raise ImportFileError(f"the site answered {exc.code} {printable(str(exc.reason))[:80]}".rstrip()) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ImportFileError):
            raise reason from None
        if isinstance(reason, TimeoutError):
            raise ImportFileError(f"the site did not answer within {TIMEOUT:g} seconds") from None
        why = reason.strerror if isinstance(reason, OSError) and reason.strerror else str(reason)
        raise ImportFileError(f"the page could not be fetched ({printable(why)[:120]})") from None
    except TimeoutError:
        raise ImportFileError(f"the site did not answer within {TIMEOUT:g} seconds") from None
    except OSError as exc:
        raise ImportFileError(f"the page could not be fetched ({exc.strerror or 'connection failed'})") from None
    except ValueError:  # http.client: a malformed answer
        raise ImportFileError("the site's answer could not be read") from None
    return bytes(data), _charset(content_type), final


def _charset(content_type: str) -> str | None:
    message = Message()
    message["Content-Type"] = content_type or "text/html"
    return message.get_content_charset()


def read_url(url: str) -> ArticleText:
    """Fetch ``url`` and read its article (ImportFileError with the reason if either fails)."""
    data, charset, final = fetch_page(url)
    return read_html(data, final, url=final, charset=charset)
