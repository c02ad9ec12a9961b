using TVS.Engine.IO;
using TVS.Engine.Ports;

namespace TVS.Storage.Board;

/// <summary>
/// The embedded bulletin board: a directory (e.g. <c>DIR/board/</c>) any static HTTP server can
/// serve as it is, with <see cref="DirectoryRecordStore"/>'s rules: every file written
/// atomically, a tile or bundle that exists never changed (the same bytes again are a no-op,
/// other bytes are refused), only <c>checkpoint</c> files replaced.
/// </summary>
public sealed class LocalBoardStore(string root) : DirectoryRecordStore(root), IBoardStore;
