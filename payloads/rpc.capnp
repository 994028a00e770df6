# The rpc family's Echo and Read service in Cap'n Proto (pycapnp loads this file at run
# time; no generated code). Cap'n Proto carries the RPC record, the size sweep (records
# of it) and the blob; the other corpus shapes have no struct here and are recorded as
# unsupported. Field names are the corpus's in camelCase (Cap'n Proto forbids "_").

@0xc1a5b2d3e4f50617;

struct RpcArgs {
  limit @0 :Int64;
  offset @1 :Int64;
}

struct Rpc {
  id @0 :Int64;
  method @1 :Text;
  user @2 :Text;
  ts @3 :Float64;
  ok @4 :Bool;
  tags @5 :List(Text);
  args @6 :RpcArgs;
}

struct Sweep {
  records @0 :List(Rpc);
}

struct Blob {
  name @0 :Text;
  contentType @1 :Text;
  data @2 :Data;
}

struct Call {
  id @0 :UInt64;
  body :union {
    rpc @1 :Rpc;
    sweep @2 :Sweep;
    blob @3 :Blob;
  }
}

struct Handle {
  shmName @0 :Text;
  sizeBytes @1 :UInt64;
}

struct ReadRequest {
  id @0 :UInt64;
  object :union {
    data @1 :Data;
    handle @2 :Handle;
  }
  fraction @3 :Float64;
}

struct ReadReply {
  id @0 :UInt64;
  bytesRead @1 :UInt64;
  checksum @2 :UInt64;
}

interface Bench {
  echo @0 (call :Call) -> (call :Call);
  read @1 (request :ReadRequest) -> (reply :ReadReply);
}
