#!/usr/bin/env bash
# `make demo`: the main job on the embedded default, for a newcomer with no AWS account.
#   1. start LocalStack (127.0.0.1, no Docker);
#   2. deploy the whole stack to inventories/local (3 accounts x 2 regions);
#   3. make a demo bucket public and follow both paths: the fast path (EventBridge events through the
#      notifier, seconds: the emails a person gets, subject included), then the alarm path (the alarm goes
#      to ALARM; the notifier finds every event already mailed and sends nothing twice);
#   4. lock the bucket down again and follow the alarm path alone (as when a fast-path event is lost):
#      the second email; then allow-list a second bucket by tag: the NOTICE that names who did it;
#   5. say where the dashboard is; stop LocalStack (also on failure or Ctrl-C).
# Each step prints how long it took.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$ROOT/.collections"
PORT=${BUCKETGUARD_LOCALSTACK_PORT:-4566}
ENDPOINT="http://127.0.0.1:$PORT"
ACCOUNT=111111111111 # inventories/local: its home region is eu-west-3
REGION=eu-west-3
BUCKET=bucketguard-demo-reports-$ACCOUNT
SITE=bucketguard-demo-site-$ACCOUNT # a second bucket, allow-listed by tag (its own, so the first stays unlisted)
ALLOW_TAG=bucketguard:public=approved

banner() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
DEMO_START=$SECONDS
STEP_START=$SECONDS
step_done() {
  printf -- '-- step: %d s (demo so far: %d s)\n' "$((SECONDS - STEP_START))" "$((SECONDS - DEMO_START))"
  STEP_START=$SECONDS
}

trap 'banner "Stopping LocalStack"; scripts/emulators.sh down localstack || true' EXIT
banner "Starting LocalStack on $ENDPOINT"
scripts/emulators.sh up localstack
step_done

banner "Standing in for an organisation trail: creating the CloudTrail log groups (LocalStack has no CloudTrail)"
ansible-playbook -i inventories/local scripts/local_trail_stand_in.yml >/dev/null
echo "ok"

banner "Deploying bucketguard to inventories/local: 3 accounts x 2 regions"
ansible-playbook -i inventories/local playbooks/deploy.yml
step_done

banner "Making s3://$BUCKET public (account $ACCOUNT, $REGION): the fast path, then the alarm path"
python scripts/alarm_drill.py --endpoint "$ENDPOINT" --account "$ACCOUNT" --region "$REGION" \
  --bucket "$BUCKET" --action expose --path both
step_done

banner "Locking s3://$BUCKET down again: the alarm path alone (as when a fast-path event is lost)"
python scripts/alarm_drill.py --endpoint "$ENDPOINT" --account "$ACCOUNT" --region "$REGION" \
  --bucket "$BUCKET" --action lockdown --path alarm
step_done

banner "Allow-listing s3://$SITE on purpose: tagging it $ALLOW_TAG is itself reported (fast path, NOTICE)"
python scripts/alarm_drill.py --endpoint "$ENDPOINT" --account "$ACCOUNT" --region "$REGION" \
  --bucket "$SITE" --action allow-tag --path fast
step_done

banner "The dashboard"
python - "$ENDPOINT" "$ACCOUNT" "$REGION" <<'PY'
import json, sys
import boto3
endpoint, account, region = sys.argv[1:]
cw = boto3.client("cloudwatch", endpoint_url=endpoint, region_name=region,
                  aws_access_key_id=account, aws_secret_access_key="test")
for entry in cw.list_dashboards(DashboardNamePrefix="bucketguard")["DashboardEntries"]:
    body = json.loads(cw.get_dashboard(DashboardName=entry["DashboardName"])["DashboardBody"])
    print(f"{entry['DashboardName']} in account {account}, {region}: {len(body['widgets'])} widgets")
    for w in body["widgets"]:
        title = w.get("properties", {}).get("title") or w.get("properties", {}).get("markdown", "").split("\n")[0]
        print(f"  [{w['type']:>6}] x={w['x']:>2} y={w['y']:>2} {w['width']:>2}x{w['height']:<2} {title}")
    print(f"On AWS: https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
          f"#dashboards/dashboard/{entry['DashboardName']}")
print("Layout picture: docs/images/dashboard.png")
PY
step_done
