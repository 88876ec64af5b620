using Hephaestus.Testing;

// Stop the test cluster inside the run, not at process exit (TestClusterLifetime says why); the same for s3rver, when a
// test started it (and PgBouncer, which TestClusterLifetime stops first).
[assembly: AssemblyFixture(typeof(TestClusterLifetime))]
[assembly: AssemblyFixture(typeof(TestS3Lifetime))]
