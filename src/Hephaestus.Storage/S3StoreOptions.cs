namespace Hephaestus.Storage;

/// <summary>
/// Where an S3-compatible store is and how to sign for it (configuration `Storage:S3:*`, docs/operations.md).
/// </summary>
/// <param name="ServiceUrl">The endpoint (`https://s3.eu-west-1.amazonaws.com`, a MinIO or Ceph gateway, Supabase's `/storage/v1/s3`).</param>
/// <param name="Bucket">The bucket that holds every object; it must exist (the service checks at start).</param>
/// <param name="Region">The signing region; S3-compatible servers mostly accept any (MinIO: `us-east-1`).</param>
/// <param name="AccessKeyId">With <paramref name="SecretAccessKey"/>, static credentials; both null means the SDK's default
/// chain (environment, profile, web identity, instance role).</param>
/// <param name="ForcePathStyle">`endpoint/bucket/key` rather than `bucket.endpoint/key`: what MinIO, Ceph and Supabase serve.</param>
public sealed record S3StoreOptions(
    Uri ServiceUrl,
    string Bucket,
    string Region = "us-east-1",
    string? AccessKeyId = null,
    string? SecretAccessKey = null,
    bool ForcePathStyle = true)
{
    public override string ToString() => $"bucket '{Bucket}' at {ServiceUrl}"; // never the secret
}
