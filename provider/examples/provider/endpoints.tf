# Against a local AWS (e.g. for tests): the services the provider calls.
provider "inspectorlink" {
  alias       = "local"
  region      = "us-east-1"
  max_retries = 2

  endpoints {
    inspector  = "http://127.0.0.1:4566"
    inspector2 = "http://127.0.0.1:4566"
    sts        = "http://127.0.0.1:4566"
  }
}
