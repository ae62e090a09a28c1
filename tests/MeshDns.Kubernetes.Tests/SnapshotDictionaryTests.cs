using FsCheck;
using FsCheck.Fluent;

namespace MeshDns.Kubernetes.Tests;

public sealed class SnapshotDictionaryTests
{
    [Fact]
    public void Builder_RandomOperations_EveryPublishedVersionStaysAsPublished()
    {
        var operations = Gen.Zip(Gen.Choose(0, 400), Gen.Choose(0, 3)).ListOf();
        Prop.ForAll(
            Arb.From(operations),
            ops =>
            {
                var builder = SnapshotDictionary<int, int>.Empty.ToBuilder();
                var model = new Dictionary<int, int>();
                var published = new List<(SnapshotDictionary<int, int> Version, Dictionary<int, int> Expected)>();
                var step = 0;
                foreach (var (key, action) in ops)
                {
                    step++;
                    if (action == 0)
                    {
                        Assert.Equal(model.Remove(key), builder.Remove(key));
                    }
                    else
                    {
                        builder[key] = step;
                        model[key] = step;
                    }

                    if (action == 3)
                    {
                        published.Add((builder.ToImmutable(), new Dictionary<int, int>(model)));
                    }
                }

                published.Add((builder.ToImmutable(), new Dictionary<int, int>(model)));
                foreach (var (version, expected) in published)
                {
                    if (version.Count != expected.Count || !expected.All(p => version.TryGetValue(p.Key, out var v) && v == p.Value)
                        || version.Any(p => !expected.ContainsKey(p.Key)))
                    {
                        return false;
                    }
                }

                return true;
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void ToImmutable_NothingChanged_SameInstance()
    {
        var builder = SnapshotDictionary<string, int>.Create(StringComparer.Ordinal).ToBuilder();
        builder["a"] = 1;
        var first = builder.ToImmutable();
        Assert.Same(first, builder.ToImmutable());
        builder["b"] = 2;
        var second = builder.ToImmutable();
        Assert.NotSame(first, second);
        Assert.False(first.ContainsKey("b"));
        Assert.Equal(2, second["b"]);
        Assert.Throws<KeyNotFoundException>(() => first["b"]);
    }
}
