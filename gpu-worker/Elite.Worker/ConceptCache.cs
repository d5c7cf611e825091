using Elite.Inference.Concepts;

namespace Elite.Worker;

/// <summary>Concept embeddings by key (concept and version), least recently used evicted first; thread-safe.</summary>
public sealed class ConceptCache(int capacity)
{
    private readonly LinkedList<(string Key, ConceptEmbedding Value)> order = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, ConceptEmbedding Value)>> entries = [];
    private readonly Lock gate = new();

    public int Count
    {
        get
        {
            lock (gate) return entries.Count;
        }
    }

    public bool TryGet(string key, out ConceptEmbedding embedding)
    {
        lock (gate)
        {
            if (entries.TryGetValue(key, out var node))
            {
                order.Remove(node);
                order.AddFirst(node);
                embedding = node.Value.Value;
                return true;
            }
        }

        embedding = null!;
        return false;
    }

    public void Add(string key, ConceptEmbedding embedding)
    {
        lock (gate)
        {
            if (entries.Remove(key, out var existing)) order.Remove(existing);
            entries[key] = order.AddFirst((key, embedding));
            while (entries.Count > capacity)
            {
                entries.Remove(order.Last!.Value.Key);
                order.RemoveLast();
            }
        }
    }
}
