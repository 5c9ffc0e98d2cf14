/**
 * The few messages of containerd's gRPC API that coroner speaks, written here from the
 * published protos of release 1.7 (github.com/containerd/containerd, tag v1.7.24, the
 * files named above each block); only the fields coroner reads or sends are kept, with
 * their real field numbers, so the wire format is containerd's. Parsed once at load with
 * protobufjs reflection; no generated code.
 */
import protobuf from 'protobufjs';

const SOURCES: string[] = [
  // google/protobuf/{any,timestamp,empty}.proto (well-known types, as protobuf publishes them)
  `syntax = "proto3"; package google.protobuf;
  message Any { string type_url = 1; bytes value = 2; }
  message Timestamp { int64 seconds = 1; int32 nanos = 2; }
  message Empty {}`,

  // api/types/mount.proto, api/types/descriptor.proto
  `syntax = "proto3"; package containerd.types;
  message Mount { string type = 1; string source = 2; string target = 3; repeated string options = 4; }
  message Descriptor { string media_type = 1; string digest = 2; int64 size = 3; map<string, string> annotations = 5; }`,

  // api/types/task/task.proto
  `syntax = "proto3"; package containerd.v1.types;
  enum Status { UNKNOWN = 0; CREATED = 1; RUNNING = 2; STOPPED = 3; PAUSED = 4; PAUSING = 5; }
  message Process {
    string container_id = 1; string id = 2; uint32 pid = 3; Status status = 4;
    string stdin = 5; string stdout = 6; string stderr = 7; bool terminal = 8;
    uint32 exit_status = 9; google.protobuf.Timestamp exited_at = 10;
  }
  message ProcessInfo { uint32 pid = 1; google.protobuf.Any info = 2; }`,

  // api/services/version/v1/version.proto
  `syntax = "proto3"; package containerd.services.version.v1;
  message VersionResponse { string version = 1; string revision = 2; }`,

  // api/services/namespaces/v1/namespace.proto
  `syntax = "proto3"; package containerd.services.namespaces.v1;
  message Namespace { string name = 1; map<string, string> labels = 2; }
  message ListNamespacesRequest { string filter = 1; }
  message ListNamespacesResponse { repeated Namespace namespaces = 1; }`,

  // api/services/containers/v1/containers.proto
  `syntax = "proto3"; package containerd.services.containers.v1;
  message Container {
    string id = 1; map<string, string> labels = 2; string image = 3;
    message Runtime { string name = 1; google.protobuf.Any options = 2; }
    Runtime runtime = 4; google.protobuf.Any spec = 5; string snapshotter = 6; string snapshot_key = 7;
    google.protobuf.Timestamp created_at = 8; google.protobuf.Timestamp updated_at = 9;
    map<string, google.protobuf.Any> extensions = 10; string sandbox = 11;
  }
  message GetContainerRequest { string id = 1; }
  message GetContainerResponse { Container container = 1; }
  message ListContainersRequest { repeated string filters = 1; }
  message ListContainersResponse { repeated Container containers = 1; }
  message ListContainerMessage { Container container = 1; }
  message CreateContainerRequest { Container container = 1; }
  message CreateContainerResponse { Container container = 1; }
  message DeleteContainerRequest { string id = 1; }`,

  // api/services/tasks/v1/tasks.proto
  `syntax = "proto3"; package containerd.services.tasks.v1;
  message CreateTaskRequest {
    string container_id = 1; repeated containerd.types.Mount rootfs = 3;
    string stdin = 4; string stdout = 5; string stderr = 6; bool terminal = 7;
  }
  message CreateTaskResponse { string container_id = 1; uint32 pid = 2; }
  message StartRequest { string container_id = 1; string exec_id = 2; }
  message StartResponse { uint32 pid = 1; }
  message DeleteTaskRequest { string container_id = 1; }
  message DeleteResponse { string id = 1; uint32 pid = 2; uint32 exit_status = 3; google.protobuf.Timestamp exited_at = 4; }
  message GetRequest { string container_id = 1; string exec_id = 2; }
  message GetResponse { containerd.v1.types.Process process = 1; }
  message KillRequest { string container_id = 1; string exec_id = 2; uint32 signal = 3; bool all = 4; }
  message PauseTaskRequest { string container_id = 1; }
  message ResumeTaskRequest { string container_id = 1; }
  message ListPidsRequest { string container_id = 1; }
  message ListPidsResponse { repeated containerd.v1.types.ProcessInfo processes = 1; }
  message WaitRequest { string container_id = 1; string exec_id = 2; }
  message WaitResponse { uint32 exit_status = 1; google.protobuf.Timestamp exited_at = 2; }`,

  // api/services/snapshots/v1/snapshots.proto
  `syntax = "proto3"; package containerd.services.snapshots.v1;
  message PrepareSnapshotRequest { string snapshotter = 1; string key = 2; string parent = 3; map<string, string> labels = 4; }
  message PrepareSnapshotResponse { repeated containerd.types.Mount mounts = 1; }
  message MountsRequest { string snapshotter = 1; string key = 2; }
  message MountsResponse { repeated containerd.types.Mount mounts = 1; }
  message RemoveSnapshotRequest { string snapshotter = 1; string key = 2; }
  message StatSnapshotRequest { string snapshotter = 1; string key = 2; }
  enum Kind { UNKNOWN = 0; VIEW = 1; ACTIVE = 2; COMMITTED = 3; }
  message Info {
    string name = 1; string parent = 2; Kind kind = 3;
    google.protobuf.Timestamp created_at = 4; google.protobuf.Timestamp updated_at = 5;
    map<string, string> labels = 6;
  }
  message StatSnapshotResponse { Info info = 1; }`,

  // api/services/images/v1/images.proto
  `syntax = "proto3"; package containerd.services.images.v1;
  message Image {
    string name = 1; map<string, string> labels = 2; containerd.types.Descriptor target = 3;
    google.protobuf.Timestamp created_at = 7; google.protobuf.Timestamp updated_at = 8;
  }
  message GetImageRequest { string name = 1; }
  message GetImageResponse { Image image = 1; }
  message ListImagesRequest { repeated string filters = 1; }
  message ListImagesResponse { repeated Image images = 1; }
  message CreateImageRequest { Image image = 1; }
  message CreateImageResponse { Image image = 1; }
  message UpdateImageRequest { Image image = 1; }
  message UpdateImageResponse { Image image = 1; }`,

  // api/services/content/v1/content.proto
  `syntax = "proto3"; package containerd.services.content.v1;
  message ReadContentRequest { string digest = 1; int64 offset = 2; int64 size = 3; }
  message ReadContentResponse { int64 offset = 1; bytes data = 2; }
  enum WriteAction { STAT = 0; WRITE = 1; COMMIT = 2; }
  message WriteContentRequest {
    WriteAction action = 1; string ref = 2; int64 total = 3; string expected = 4;
    int64 offset = 5; bytes data = 6; map<string, string> labels = 7;
  }
  message WriteContentResponse {
    WriteAction action = 1; google.protobuf.Timestamp started_at = 2; google.protobuf.Timestamp updated_at = 3;
    int64 offset = 4; int64 total = 5; string digest = 6;
  }`,

  // api/services/leases/v1/leases.proto
  `syntax = "proto3"; package containerd.services.leases.v1;
  message CreateRequest { string id = 1; map<string, string> labels = 3; }
  message Lease { string id = 1; google.protobuf.Timestamp created_at = 2; map<string, string> labels = 3; }
  message CreateResponse { Lease lease = 1; }
  message DeleteRequest { string id = 1; bool sync = 2; }`,
];

const root = new protobuf.Root();
for (const source of SOURCES) protobuf.parse(source, root, { keepCase: true });
root.resolveAll();

/** A message type by its full name (`containerd.services.tasks.v1.GetRequest`). */
export function messageType(fullName: string): protobuf.Type {
  return root.lookupType(fullName);
}

/** The gRPC path of a method: `/containerd.services.tasks.v1.Tasks/Get`. */
export const SERVICES = {
  version: 'containerd.services.version.v1.Version',
  namespaces: 'containerd.services.namespaces.v1.Namespaces',
  containers: 'containerd.services.containers.v1.Containers',
  tasks: 'containerd.services.tasks.v1.Tasks',
  snapshots: 'containerd.services.snapshots.v1.Snapshots',
  images: 'containerd.services.images.v1.Images',
  content: 'containerd.services.content.v1.Content',
  leases: 'containerd.services.leases.v1.Leases',
} as const;
