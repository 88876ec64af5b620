using Hephaestus.Testing;

// Stop the run's s3rver inside the run, as the test cluster is (TestClusterLifetime says why).
[assembly: AssemblyFixture(typeof(TestS3Lifetime))]
