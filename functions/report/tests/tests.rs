mod browser;
mod coverage;
mod dashboards;
mod report;
mod util;
