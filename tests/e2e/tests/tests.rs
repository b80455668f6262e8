//! End-to-end tests of the example roots on the local AWS (see the crate's README).

mod chaos;
mod least_privilege;
mod multi_account;
mod routing;
mod sandbox;
mod sandbox_classic;
mod security_stack;
