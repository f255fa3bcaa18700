//! cancuoc-store-sqlite
