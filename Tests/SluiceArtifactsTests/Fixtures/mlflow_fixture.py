"""Fixture of the MLflow tests, run with the venv's python (scripts/setup-python-peers.sh).

  mlflow_fixture.py register TRACKING_URI NAME [--permute-labels] [--seed N] [--pickle]
      Trains a small sklearn iris classifier and registers it as a new version of NAME with
      the MLflow python client (mlflow.sklearn.log_model(registered_model_name=...)).
      --permute-labels trains on shuffled labels: a deliberately bad model (the canary test's
      version 2). --pickle saves model.pkl (what MLServer's sklearn runtime loads) instead of
      MLflow 3's default model.skops. Prints {"version": "N", "run_id": "..."} as one JSON line.

  mlflow_fixture.py setup TRACKING_URI NAME ALIAS [--permute-v2] [--pickle]
      Registers version 1 (a good model) and version 2 (another seed; with --permute-v2,
      trained on permuted labels) in one process, and points ALIAS at version 1. Prints
      {"versions": ["1", "2"], "runs": [...]}.

  mlflow_fixture.py alias TRACKING_URI NAME ALIAS VERSION
      Points ALIAS at VERSION with MlflowClient.set_registered_model_alias.

  mlflow_fixture.py rows
      The iris data set as V2 inference rows with their true labels, for a canary test that
      posts requests and then their labels: {"features": [[...], ...], "labels": [0, ...]}.

  mlflow_fixture.py accuracy TRACKING_URI NAME VERSION
      Loads the version with mlflow.pyfunc (models:/NAME/VERSION) and prints its accuracy on
      iris: {"accuracy": 0.97}. The canary test's check that version 2 is the worse one.

  mlflow_fixture.py digest TRACKING_URI NAME ARTIFACTS_DESTINATION VERSION...
      Finds the version's files the way MLflow itself does (get_model_version_download_uri,
      an mlflow-artifacts:/ URI under the server's --artifacts-destination) and prints the
      sluice-directory-v1 digest of that directory, computed here independently of Sluice:
      sha256("sluice-directory-v1\n" + "<sha256> <size> <path>\n" per file, sorted by path bytes).
      Prints {"VERSION": {"digest": ..., "files": [...], "location": ...}, ...}.
"""

import hashlib
import json
import os
import sys


def register(uri, name, permute, seed, pickle=False, quiet=False):
    import mlflow
    import mlflow.sklearn
    import numpy as np
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    mlflow.set_tracking_uri(uri)
    features, labels = load_iris(return_X_y=True)
    if permute:
        # A fixed permutation of the classes: confidently wrong on every row.
        labels = (labels + 1) % 3
    model = LogisticRegression(max_iter=200 + seed, random_state=seed).fit(features, labels)
    with mlflow.start_run() as run:
        mlflow.log_param("permuted_labels", permute)
        info = mlflow.sklearn.log_model(
            model, name="model", registered_model_name=name, input_example=np.array(features[:2]),
            serialization_format=(mlflow.sklearn.SERIALIZATION_FORMAT_PICKLE if pickle else mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS))
    answer = {"version": str(info.registered_model_version), "run_id": run.info.run_id}
    if not quiet:
        print(json.dumps(answer))
    return answer


def setup(uri, name, alias_name, permute_v2, pickle):
    first = register(uri, name, False, 0, pickle, quiet=True)
    second = register(uri, name, permute_v2, 1, pickle, quiet=True)
    from mlflow import MlflowClient

    MlflowClient(tracking_uri=uri).set_registered_model_alias(name, alias_name, first["version"])
    print(json.dumps({"versions": [first["version"], second["version"]], "runs": [first["run_id"], second["run_id"]]}))


def alias(uri, name, alias_name, version):
    from mlflow import MlflowClient

    MlflowClient(tracking_uri=uri).set_registered_model_alias(name, alias_name, version)
    print(json.dumps({"alias": alias_name, "version": version}))


def digests(uri, name, destination, versions):
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    print(json.dumps({version: digest(client, name, version, destination) for version in versions}))


def digest(client, name, version, destination):
    location = client.get_model_version_download_uri(name, version)
    prefix = "mlflow-artifacts:"
    if not location.startswith(prefix):
        sys.exit(f"unexpected download URI {location}")
    relative = location[len(prefix):].lstrip("/")
    root = os.path.join(destination, relative)
    lines = []
    for directory, _, files in os.walk(root):
        for file_name in files:
            full = os.path.join(directory, file_name)
            if os.path.islink(full) or not os.path.isfile(full):
                sys.exit(f"not a regular file: {full}")
            with open(full, "rb") as handle:
                content = handle.read()
            path = os.path.relpath(full, root).replace(os.sep, "/")
            lines.append((path.encode(), f"{hashlib.sha256(content).hexdigest()} {len(content)} {path}\n"))
    lines.sort(key=lambda entry: entry[0])
    listing = "sluice-directory-v1\n" + "".join(line for _, line in lines)
    return {
        "digest": "sha256:" + hashlib.sha256(listing.encode()).hexdigest(),
        "files": sorted(path.decode() for path, _ in lines),
        "location": location,
    }


def rows():
    from sklearn.datasets import load_iris

    features, labels = load_iris(return_X_y=True)
    print(json.dumps({"features": features.tolist(), "labels": labels.tolist()}))


def accuracy(uri, name, version):
    import mlflow
    import mlflow.pyfunc
    from sklearn.datasets import load_iris

    mlflow.set_tracking_uri(uri)
    features, labels = load_iris(return_X_y=True)
    predicted = mlflow.pyfunc.load_model(f"models:/{name}/{version}").predict(features)
    print(json.dumps({"accuracy": float((predicted == labels).mean())}))


def main(argv):
    command = argv[1]
    if command == "register":
        seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 0
        register(argv[2], argv[3], "--permute-labels" in argv, seed, "--pickle" in argv)
    elif command == "setup":
        setup(argv[2], argv[3], argv[4], "--permute-v2" in argv, "--pickle" in argv)
    elif command == "alias":
        alias(argv[2], argv[3], argv[4], argv[5])
    elif command == "rows":
        rows()
    elif command == "accuracy":
        accuracy(argv[2], argv[3], argv[4])
    elif command == "digest":
        digests(argv[2], argv[3], argv[4], argv[5:])
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv)
