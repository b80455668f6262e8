//! Integration tests of the local AWS as Rust code sees it. One binary; a module per area.

mod accounts;
mod classic;
mod foundation;
mod inspector2;
