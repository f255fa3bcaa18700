//! cancuoc-app
