//! cancuoc-server
