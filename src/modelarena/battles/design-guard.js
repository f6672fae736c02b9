// Runs first in every generated design (inlined by modelarena.battles.design_sandbox, ahead of the
// model's code), in the one realm the design gets. The policy headers stop requests; this
// closes what they do not cover: WebRTC (no CSP directive reaches it) and any second realm
// (a nested frame) where fresh WebRTC constructors would wait.
(function () {
  "use strict";
  var W = window;
  // Elements that make a nested browsing context (the list is filled in by design_sandbox.py, which
  // applies the same rule to the document itself). Tag names take no character references,
  // so "<" + name + (whitespace, "/" or ">") is the only spelling the parser accepts.
  var TAGS = "__FRAME_TAGS__";
  var FRAME_TAG = new RegExp("<(?=(?:" + TAGS + ")[\\t\\n\\f\\r />])", "gi");
  var FRAME_NAME = new RegExp("^(?:[^:]*:)?(?:frame|" + TAGS + ")$", "i");

  function lock(target, key, value) {
    try {
      Object.defineProperty(target, key, { value: value, writable: false, configurable: false });
    } catch (e) { /* not configurable in this browser: left as it is */ }
  }
  function refuse(name) {
    throw new DOMException("<" + name + "> is not available in a design", "NotSupportedError");
  }

  // Sockets too: the policy refuses them, but Chromium may start one before its check
  // (the network log then names the host); without the constructor nothing starts.
  [
    "WebSocket", "WebTransport", "EventSource",
    "RTCPeerConnection", "webkitRTCPeerConnection", "RTCIceTransport", "RTCQuicTransport",
    "XSLTProcessor", "HTMLIFrameElement", "HTMLFrameElement", "HTMLFrameSetElement",
    "HTMLObjectElement", "HTMLEmbedElement", "HTMLPortalElement", "HTMLFencedFrameElement"
  ].forEach(function (key) { lock(W, key, undefined); });

  var D = Document.prototype, I = DOMImplementation.prototype;
  var createElement = D.createElement, createElementNS = D.createElementNS;
  var createDocument = I.createDocument;
  lock(D, "createElement", function (name, options) {
    var n = String(name);
    if (FRAME_NAME.test(n)) refuse(n);
    return createElement.call(this, n, options);
  });
  lock(D, "createElementNS", function (ns, name, options) {
    var n = String(name);
    if (FRAME_NAME.test(n)) refuse(n);
    return createElementNS.call(this, ns, n, options);
  });
  lock(I, "createDocument", function (ns, name, doctype) {
    var n = name === null || name === undefined ? "" : String(name);
    if (FRAME_NAME.test(n)) refuse(n);
    return createDocument.call(this, ns, n, doctype);
  });
  // sanitising parsers with their own element lists: not needed by designs
  lock(Element.prototype, "setHTML", undefined);
  if (W.ShadowRoot) lock(ShadowRoot.prototype, "setHTML", undefined);
  lock(Document, "parseHTML", undefined);

  // Every HTML string a script hands to the DOM (innerHTML, document.write, DOMParser,
  // insertAdjacentHTML, ...) passes here: the design's policy requires Trusted Types and
  // allows only this policy. javascript: URLs (a new document, without this guard) are refused.
  if (W.trustedTypes && W.trustedTypes.createPolicy) {
    W.trustedTypes.createPolicy("default", {
      createHTML: function (html) { return String(html).replace(FRAME_TAG, "&lt;"); },
      createScript: function (code, sink) {
        if (/location|href|navigat|src/i.test(String(sink))) return null;
        return String(code);
      },
      createScriptURL: function (url) { return String(url); }
    });
  }
})();
