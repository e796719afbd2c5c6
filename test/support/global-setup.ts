// Placeholder; replaced by the Redis Cluster setup.
export default function setup() {}
