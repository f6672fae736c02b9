"""Ways a design document could open a connection, for tests/web/test_sandbox_network.py.

Each variant is an HTML design answer with placeholders (replaced, not formatted) filled in
per variant:
``{http}`` (``http://127.0.0.1:<tcp port>``), ``{ws}``, ``{tcp}``, ``{udp}`` (the variant's own
loopback listeners) and ``{host}`` (a host name unique to the variant, for DNS look-ups).
Every variant leaks when its payload runs as a plain page; the test proves that nothing
leaves the sandbox.
"""

# ruff: noqa: E501  (payloads are kept on one line each)

from __future__ import annotations

from dataclasses import dataclass

# WebRTC with a remote candidate on the variant's UDP port: connectivity checks go straight
# to it, with no STUN or TURN server (Connection-Allowlist does not stop these in Chromium 156).
LEAK = (
    "function leak(P) { var pc = new P({iceServers: []}); pc.createDataChannel('x');"
    " pc.createOffer().then(function (o) { return pc.setLocalDescription(o).then(function () {"
    " var sdp = o.sdp.replace('a=setup:actpass', 'a=setup:active')"
    ".replace(/a=ice-ufrag:.*/, 'a=ice-ufrag:leak').replace(/a=ice-pwd:.*/, 'a=ice-pwd:leakleakleakleakleakleak')"
    ".replace(/(m=application.*\\r\\n)/, '$1a=candidate:1 1 udp 2130706431 127.0.0.1 {udp} typ host\\r\\n');"
    " return pc.setRemoteDescription({type: 'answer', sdp: sdp}); }); }); }"
)

_RTC = "var pc = new CTOR({iceServers: [{urls: 'URL', username: 'u', credential: 'p'}]}); pc.createDataChannel('x'); pc.createOffer().then(function (o) { return pc.setLocalDescription(o); });"


def _rtc(url: str, ctor: str = "RTCPeerConnection") -> str:
    return "<script>" + _RTC.replace("CTOR", ctor).replace("URL", url) + "</script>"


def _leak(expr: str, before: str = "") -> str:
    return f"<body><script>{LEAK} {before} leak({expr});</script>"


def _attr(js: str) -> str:
    return js.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


_IN_SRCDOC = f"<script>{LEAK} leak(RTCPeerConnection);</script>"


def _js(text: str) -> str:
    """A JavaScript string literal of ``text`` that cannot close the script element."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("</", "<\\/") + "'"


@dataclass(frozen=True)
class Variant:
    name: str
    html: str
    channel: str  # what the listener sees when the payload runs outside the sandbox
    # False: headless Chromium opens no connection for it even outside the sandbox (a hint
    # it does not act on, or a request it refuses anyway); kept to show it stays at zero
    leaks_outside: bool = True


VARIANTS: tuple[Variant, ...] = (
    # WebRTC: no CSP directive covers it in Chromium
    Variant("webrtc-stun-udp", _rtc("stun:127.0.0.1:{udp}"), "udp"),
    Variant("webrtc-turn-tcp", _rtc("turn:127.0.0.1:{tcp}?transport=tcp"), "tcp"),
    Variant("webrtc-turn-udp", _rtc("turn:127.0.0.1:{udp}?transport=udp"), "udp"),
    Variant("webrtc-prefixed", _rtc("stun:127.0.0.1:{udp}", "webkitRTCPeerConnection"), "udp"),
    Variant("webrtc-remote-candidate", _leak("RTCPeerConnection"), "udp"),
    Variant("webrtc-reflect", _leak("Reflect.get(globalThis, 'RTCPeer' + 'Connection')"), "udp"),
    # ... from a second realm: a nested frame, however it is made
    Variant("nested-srcdoc", f'<iframe srcdoc="{_attr(_IN_SRCDOC)}"></iframe>', "udp"),
    Variant(
        "nested-iframe-onload",
        f'<iframe onload="{_attr(LEAK)} leak(this.contentWindow.RTCPeerConnection)"></iframe>',
        "udp",
    ),
    Variant(
        "nested-create-element",
        _leak(
            "f.contentWindow.RTCPeerConnection",
            "var f = document.createElement('iframe'); document.documentElement.appendChild(f);",
        ),
        "udp",
    ),
    Variant(
        "nested-create-element-ns",
        _leak(
            "f.contentWindow.RTCPeerConnection",
            "var f = document.createElementNS('http://www.w3.org/1999/xhtml', 'x:iframe'); document.documentElement.appendChild(f);",
        ),
        "udp",
    ),
    Variant(
        "nested-inner-html",
        _leak("window[0].RTCPeerConnection", "document.body.innerHTML = '<iframe></iframe>';"),
        "udp",
    ),
    Variant(
        "nested-document-write",
        _leak("window[0].RTCPeerConnection", "document.write('<ifr' + 'ame></ifr' + 'ame>');"),
        "udp",
    ),
    Variant(
        "nested-dom-parser",
        _leak(
            "window[0].RTCPeerConnection",
            "document.body.append(new DOMParser().parseFromString('<iframe></iframe>', 'text/html').body.firstChild);",
        ),
        "udp",
    ),
    Variant(
        "nested-create-document",
        _leak(
            "window[0].RTCPeerConnection",
            "document.body.append(document.adoptNode(document.implementation.createDocument('http://www.w3.org/1999/xhtml', 'iframe').documentElement));",
        ),
        "udp",
    ),
    Variant(
        "nested-object",
        "<body><script>"
        + LEAK
        + " var o = document.createElement('object'); o.type = 'text/html'; o.onload = function () { leak(o.contentWindow.RTCPeerConnection); }; o.data = 'about:blank'; document.body.append(o);</script>",
        "udp",
    ),
    Variant(
        "nested-shadow-root",
        '<div id=h><template shadowrootmode="open"><iframe></iframe></template></div>'
        + _leak(
            "document.getElementById('h').shadowRoot.querySelector('iframe').contentWindow.RTCPeerConnection"
        ),
        "udp",
    ),
    Variant(
        "nested-exec-command",
        "<div id=e contenteditable>x</div>"
        + _leak(
            "window[0].RTCPeerConnection",
            "var e = document.getElementById('e'); e.focus(); document.execCommand('selectAll'); document.execCommand('insertHTML', false, '<iframe></iframe>');",
        ),
        "udp",
    ),
    Variant(
        "nested-blob-url",
        '<body><script>var f = document.createElement("iframe"); f.src = URL.createObjectURL(new Blob(['
        + _js(_IN_SRCDOC)
        + '], {type: "text/html"})); document.body.append(f);</script>',
        "udp",
    ),
    Variant(
        "nested-data-url",
        '<iframe src="data:text/html,' + _attr(_IN_SRCDOC).replace("#", "%23") + '"></iframe>',
        "udp",
    ),
    Variant(
        "javascript-url-document",
        "<script>location = 'javascript:' + JSON.stringify(" + _js(_IN_SRCDOC) + ");</script>",
        "udp",
    ),
    # navigations and frames
    Variant("iframe-src", '<iframe src="{http}/iframe"></iframe>', "tcp"),
    Variant("location", "<script>location = '{http}/location';</script>", "tcp"),
    Variant(
        "location-javascript-url",
        "<script>location = 'javascript:location.replace(\"{http}/js-url\")';</script>",
        "tcp",
    ),
    Variant("navigation-api", "<script>navigation.navigate('{http}/navigation');</script>", "tcp"),
    Variant(
        "top-location", "<script>try { top.location = '{http}/top'; } catch (e) {}</script>", "tcp"
    ),
    Variant("meta-refresh", '<meta http-equiv="refresh" content="0;url={http}/refresh">', "tcp"),
    Variant("window-open", "<script>window.open('{http}/popup');</script>", "tcp"),
    Variant(
        "form-submit",
        '<form id=f action="{http}/form" method=post><input name=x value=1></form><script>document.getElementById("f").submit();</script>',
        "tcp",
    ),
    Variant(
        "form-target-blank",
        '<form id=f action="{http}/form" target=_blank></form><script>document.getElementById("f").submit();</script>',
        "tcp",
    ),
    Variant(
        "link-click",
        '<a id=a href="{http}/link">x</a><script>document.getElementById("a").click();</script>',
        "tcp",
    ),
    Variant(
        "a-ping",
        '<a id=a href="#x" ping="{http}/ping">x</a><script>document.getElementById("a").click();</script>',
        "tcp",
    ),
    # hints, prefetching, speculation
    Variant("preconnect", '<link rel="preconnect" href="{http}">', "tcp", leaks_outside=False),
    Variant(
        "dns-prefetch", '<link rel="dns-prefetch" href="//{host}">', "dns", leaks_outside=False
    ),
    Variant("prefetch", '<link rel="prefetch" href="{http}/prefetch">', "tcp"),
    Variant(
        "prerender", '<link rel="prerender" href="{http}/prerender">', "tcp", leaks_outside=False
    ),
    Variant("preload", '<link rel="preload" as="image" href="{http}/preload">', "tcp"),
    Variant("modulepreload", '<link rel="modulepreload" href="{http}/modulepreload.js">', "tcp"),
    Variant(
        "speculation-rules",
        '<script type="speculationrules">{"prefetch": [{"source": "list", "urls": ["{http}/speculation"]}], "prerender": [{"source": "list", "urls": ["{http}/speculation-prerender"]}]}</script>',
        "tcp",
        leaks_outside=False,
    ),
    Variant("stylesheet-link", '<link rel="stylesheet" href="{http}/style.css">', "tcp"),
    Variant(
        "manifest", '<link rel="manifest" href="{http}/manifest.json">', "tcp", leaks_outside=False
    ),
    Variant(
        "compression-dictionary", '<link rel="compression-dictionary" href="{http}/dict">', "tcp"
    ),
    # script-driven requests
    Variant("fetch", "<script>fetch('{http}/fetch', {mode: 'no-cors'});</script>", "tcp"),
    Variant(
        "fetch-keepalive",
        "<script>fetch('{http}/keepalive', {mode: 'no-cors', keepalive: true, method: 'POST', body: 'x'});</script>",
        "tcp",
    ),
    Variant(
        "xhr",
        "<script>var x = new XMLHttpRequest(); x.open('GET', '{http}/xhr'); x.send();</script>",
        "tcp",
    ),
    Variant("beacon", "<script>navigator.sendBeacon('{http}/beacon', 'x');</script>", "tcp"),
    Variant("websocket", "<script>new WebSocket('{ws}/ws');</script>", "tcp"),
    Variant("eventsource", "<script>new EventSource('{http}/events');</script>", "tcp"),
    Variant(
        "webtransport",
        "<script>new WebTransport('https://127.0.0.1:{udp}/wt').ready.catch(function () {});</script>",
        "udp",
    ),
    Variant(
        "dynamic-import",
        "<script>import('{http}/module.js').catch(function () {});</script>",
        "tcp",
    ),
    Variant("script-src", '<script src="{http}/script.js"></script>', "tcp"),
    Variant(
        "worker", "<script>new Worker('{http}/worker.js');</script>", "tcp", leaks_outside=False
    ),
    # subresources
    Variant("img", '<img src="{http}/img">', "tcp"),
    Variant("img-srcset", '<img srcset="{http}/srcset 1x" alt="">', "tcp"),
    Variant(
        "picture-source", '<picture><source srcset="{http}/picture"><img alt=""></picture>', "tcp"
    ),
    Variant("video-poster", '<video poster="{http}/poster"></video>', "tcp"),
    Variant("audio-src", '<audio src="{http}/audio" preload="auto"></audio>', "tcp"),
    Variant(
        "css-url",
        '<div style="width:10px;height:10px;background:url({http}/css-url)"></div>',
        "tcp",
    ),
    Variant("css-import", "<style>@import url({http}/import.css);</style>", "tcp"),
    Variant(
        "css-font-face",
        "<style>@font-face {font-family: x; src: url({http}/font.woff2);} body {font-family: x;}</style>x",
        "tcp",
    ),
    Variant("object", '<object data="{http}/object"></object>', "tcp"),
    Variant("embed", '<embed src="{http}/embed">', "tcp"),
    Variant(
        "svg-image", '<svg><image href="{http}/svg-image" width="10" height="10"/></svg>', "tcp"
    ),
    Variant("svg-use", '<svg><use href="{http}/use.svg#x"/></svg>', "tcp", leaks_outside=False),
    Variant(
        "svg-feimage",
        '<svg><filter id="f"><feImage href="{http}/feimage"/></filter><rect width="10" height="10" filter="url(#f)"/></svg>',
        "tcp",
    ),
    Variant("base-href", '<base href="{http}/base/"><img src="relative">', "tcp"),
    Variant(
        "attributionsrc",
        '<img attributionsrc="{http}/attribution" src="data:,">',
        "tcp",
        leaks_outside=False,
    ),
)


def payload(variant: Variant, *, tcp: int, udp: int, host: str) -> str:
    """The variant's document, aimed at its own listeners."""
    http = f"http://127.0.0.1:{tcp}"
    out = variant.html.replace("{http}", http).replace("{ws}", f"ws://127.0.0.1:{tcp}")
    return out.replace("{tcp}", str(tcp)).replace("{udp}", str(udp)).replace("{host}", host)
