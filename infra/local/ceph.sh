#!/usr/bin/env bash
# Single-node Ceph (one mon, one memstore OSD, radosgw) on 127.0.0.1, no systemd, no auth.
# Sourced by infra/local/start; uses BG_STATE (state folder) and BG_S3_PORT. Data lives in RAM and is lost on stop.
set -euo pipefail

ceph_start() {
  local dir="$BG_STATE/ceph" conf="$BG_STATE/ceph/ceph.conf" fsid uuid id
  rm -rf "$dir"
  mkdir -p "$dir"/{mon,osd0,rgw,run,log}
  fsid=$(uuidgen)
  cat > "$conf" <<CONF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:${BG_MON_PORT}]
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd crush chooseleaf type = 0
osd pool default pg num = 8
osd pool default pg autoscale mode = off
public addr = 127.0.0.1
cluster addr = 127.0.0.1
run dir = $dir/run
log file = $dir/log/\$name.log
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
[mon.a]
mon data = $dir/mon
# Without these two, the mon needs ~12 s to form a quorum of one instead of well under a second.
paxos propose interval = 0.01
paxos min wait = 0.001
[osd]
osd data = $dir/osd\$id
osd objectstore = memstore
[client]
# Without crc mode radosgw never authenticates under auth none (get_initial_auth_request returned -13).
ms mon client mode = crc
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:${BG_S3_PORT}
rgw data = $dir/rgw
# STS for the organisation tests: member "accounts" are RGW tenants with a BucketGuardMember role each.
rgw sts key = bucketguardstsk16
rgw s3 auth use sts = true
CONF
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:${BG_MON_PORT}]" "$dir/monmap" >/dev/null
  ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" >/dev/null
  ceph-mon -f -c "$conf" -i a >"$dir/log/mon.out" 2>&1 &
  echo $! > "$BG_STATE/pids/ceph-mon"
  uuid=$(uuidgen)
  id=$(timeout 30 ceph -c "$conf" osd new "$uuid")
  ceph-osd -c "$conf" -i "$id" --mkfs --osd-uuid "$uuid" >/dev/null 2>&1
  ceph-osd -f -c "$conf" -i "$id" >"$dir/log/osd.out" 2>&1 &
  echo $! > "$BG_STATE/pids/ceph-osd"
  radosgw -f -c "$conf" -n client.rgw >"$dir/log/rgw.out" 2>&1 &
  echo $! > "$BG_STATE/pids/radosgw"
}
