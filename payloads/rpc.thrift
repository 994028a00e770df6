// The rpc family's Echo service in Thrift (thriftpy2 loads this file at run time; no
// generated code). Thrift carries the RPC record and the size sweep (records of it);
// the other corpus shapes have no Thrift struct here and are recorded as unsupported.

namespace py commbench_rpc

struct RpcArgs {
  1: i64 limit,
  2: i64 offset,
}

struct Rpc {
  1: i64 id,
  2: string method,
  3: string user,
  4: double ts,
  5: bool ok,
  6: list<string> tags,
  7: RpcArgs arguments,  // the document's "args" ("args" is reserved in Thrift)
}

struct Sweep {
  1: list<Rpc> records,
}

struct Call {
  1: i64 id,
  2: optional Rpc rpc,
  3: optional Sweep sweep,
}

service Bench {
  Call Echo(1: Call call),
}
