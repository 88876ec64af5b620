using Hephaestus.Testing;

// Stop the test cluster inside the run, not at process exit (TestClusterLifetime says why).
[assembly: AssemblyFixture(typeof(TestClusterLifetime))]
