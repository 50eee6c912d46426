namespace Peerz.Cli.Commands;

/// <summary>What a command creates one by one and owns until it ends; disposed last-created first.</summary>
internal sealed class DisposableList<T> : IDisposable where T : IDisposable
{
    private readonly List<T> _items = [];

    /// <returns><paramref name="item"/>, now owned by this list.</returns>
    public T Add(T item)
    {
        _items.Add(item);
        return item;
    }

    public void Dispose()
    {
        for (var i = _items.Count - 1; i >= 0; i--) _items[i].Dispose();
        _items.Clear();
    }
}
