namespace Hephaestus.Data.Embedded;

/// <summary>Files holding secrets (passwords, keys) of the embedded installation.</summary>
internal static class PrivateFile
{
    /// <summary>The mode of a secret file: read and write for its owner, nothing for anyone else.</summary>
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Creates a new file with <see cref="Mode"/> from its first byte (open(2) with O_CREAT|O_EXCL and that mode), so no
    /// one can open it between creation and a later chmod; an existing file or symbolic link at the path is refused
    /// rather than written through.
    /// </summary>
    public static void Create(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = Mode;
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }
}
