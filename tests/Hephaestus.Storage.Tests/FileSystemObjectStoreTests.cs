namespace Hephaestus.Storage.Tests;

/// <summary>The contract on the filesystem store, each test in a directory of its own.</summary>
public sealed class FileSystemObjectStoreTests : ObjectStoreContract, IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "hephaestus-objects-" + Guid.NewGuid().ToString("N")[..12]);
    int _stores;

    protected override bool Presigns => false;

    protected override Task<IObjectStore> NewStoreAsync() =>
        Task.FromResult<IObjectStore>(new FileSystemObjectStore(Path.Combine(_root, (++_stores).ToString(System.Globalization.CultureInfo.InvariantCulture))));

    protected override Task<IReadOnlyList<string>> LeftoversAsync(IObjectStore store) =>
        Task.FromResult<IReadOnlyList<string>>(Directory.GetFiles(Path.Combine(((FileSystemObjectStore)store).Root, "incoming")));

    protected override Task AbandonTemporaryAsync(IObjectStore store)
    {
        var partial = Path.Combine(((FileSystemObjectStore)store).Root, "incoming", Guid.NewGuid().ToString("N") + ".part");
        File.WriteAllBytes(partial, new byte[100]);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_missing_object_directory_makes_the_store_unavailable()
    {
        var store = (FileSystemObjectStore)await NewStoreAsync();
        await store.CheckAvailableAsync(TestContext.Current.CancellationToken);

        Directory.Delete(store.Root, recursive: true);

        var unavailable = await Assert.ThrowsAsync<ObjectStoreUnavailableException>(() => store.CheckAvailableAsync(TestContext.Current.CancellationToken));
        Assert.Contains(store.Root, unavailable.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}
