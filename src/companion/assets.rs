//! The phone page's files, embedded in the binary (no build step). Serving another file is one line
//! in [`FILES`].

/// One embedded file: the path it is served at, its content type, its bytes.
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $file:literal, $type:literal) => {
        Asset { path: $path, content_type: $type, bytes: include_bytes!(concat!("../../assets/companion/", $file)) }
    };
}

/// Every file the page is made of. Paths not listed here need a device token like any other route.
pub static FILES: &[Asset] = &[
    asset!("/", "index.html", "text/html; charset=utf-8"),
    asset!("/manifest.webmanifest", "manifest.webmanifest", "application/manifest+json"),
    asset!("/assets/app.js", "app.js", "text/javascript; charset=utf-8"),
    asset!("/assets/link.js", "link.js", "text/javascript; charset=utf-8"),
    asset!("/assets/pairing.js", "pairing.js", "text/javascript; charset=utf-8"),
    asset!("/assets/state.js", "state.js", "text/javascript; charset=utf-8"),
    asset!("/assets/views.js", "views.js", "text/javascript; charset=utf-8"),
    asset!("/assets/cards.js", "cards.js", "text/javascript; charset=utf-8"),
    asset!("/assets/markdown.js", "markdown.js", "text/javascript; charset=utf-8"),
    asset!("/assets/dom.js", "dom.js", "text/javascript; charset=utf-8"),
    asset!("/assets/style.css", "style.css", "text/css; charset=utf-8"),
    asset!("/assets/icon-192.png", "icon-192.png", "image/png"),
    asset!("/assets/icon-512.png", "icon-512.png", "image/png"),
];
