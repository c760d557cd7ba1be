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
    asset!("/assets/style.css", "style.css", "text/css; charset=utf-8"),
];
