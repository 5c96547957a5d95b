"""Training: a short real run learns, writes a loadable model and card; jobs cancel and swap safely."""

import json

import numpy as np
import pytest

from conftest import ROOT
from lstm_demo import artifacts, config, jobs, tasks, train

SMALL_DIGITS = config.DIGITS_SEED.with_changes(name="small", units=(32, 32))


def test_short_run_lowers_loss_and_saves(data_dir, tmp_path):
    # A faster learning rate than the seed's, so that 2 short epochs of a 32-unit network learn visibly.
    quick = SMALL_DIGITS.with_changes(learning_rate=3e-3)
    prepared = train.prepare(quick, data_dir, limit=1000, test_limit=200)
    events = []
    result = train.train(quick, prepared, epochs=2, progress=events.append)
    epoch_losses = [event.loss for event in events if event.phase == "epoch"]
    assert len(epoch_losses) == 2
    assert epoch_losses[1] < epoch_losses[0]
    assert all(0.0 <= event.fraction <= 1.0 for event in events)
    assert events[-1].phase == "done"

    files = artifacts.ModelFiles(tmp_path, "digits-small")
    train.save_result(result, files, command="test")
    card = json.loads(files.card.read_text())
    assert card["epochs"] == 2
    assert card["train_size"] == 900
    assert card["test_size"] == 200
    assert 0.0 <= card["test_accuracy"] <= 1.0
    assert card["versions"]["keras"].startswith("3.")
    loaded = tasks.load_files(files)
    assert loaded.inspector.predict_batch(prepared.x_test[:5]).shape == (5, 10)


def test_reviews_run_writes_vocabulary(data_dir, tmp_path):
    small = config.REVIEWS_MASKED.with_changes(name="small", maxlen=40, embedding_dim=16, units=16)
    prepared = train.prepare(small, data_dir, limit=300, test_limit=100)
    result = train.train(small, prepared, epochs=1)
    files = artifacts.ModelFiles(tmp_path, "reviews-small")
    train.save_result(result, files)
    loaded = tasks.load_files(files)
    assert 1_000 < loaded.vocabulary.size <= 10_000  # 270 reviews hold fewer distinct words
    encoded = tasks.encode_review(loaded, "A fine film")
    assert loaded.inspector.trace(encoded.ids).length == 3


def test_progress_fraction_bounded():
    for epochs in (1, 3, 50):
        for epoch in range(1, epochs + 1):
            for batch in (1, 7, 10):
                event = train.TrainingProgress("batch", epoch, epochs, batch, 10, 1.0)
                assert 0.0 <= event.fraction <= 1.0
    assert train.TrainingProgress("batch", 1, 2, 10, 10, 4.0).remaining_s == pytest.approx(4.0)


def test_cancelled_job_keeps_nothing(data_dir):
    job = jobs.TrainingJob(SMALL_DIGITS, epochs=20, limit=2000, data_dir=str(data_dir))
    job.start()
    while not job.batch_events and job.is_active:
        job.wait(0.05)
    job.cancel()
    assert job.wait(120)
    assert job.state == "cancelled"
    assert job.result is None


def test_completed_job_records_replay(data_dir):
    watched = np.zeros((28, 28), np.float32)
    watched[5:20, 13:15] = 1.0
    job = jobs.TrainingJob(SMALL_DIGITS, epochs=2, limit=300, data_dir=str(data_dir), watch_input=watched)
    job.start()
    assert job.wait(300)
    assert job.state == "done", job.error
    assert [snapshot.epoch for snapshot in job.replay] == [0, 1, 2]
    final = tasks.from_keras_model(job.result.model, job.result.config, job.result.card, "test")
    trace = final.inspector.trace(watched)
    assert np.allclose(job.replay[-1].step_probabilities, trace.step_probabilities, atol=1e-6)
    assert np.allclose(job.replay[-1].hidden, trace.layers[-1]["h"], atol=1e-6)
    assert job.result.card["test_accuracy"] is not None


def test_second_job_is_busy(data_dir):
    first = jobs.TrainingJob(SMALL_DIGITS, epochs=5, limit=2000, data_dir=str(data_dir)).start()
    try:
        with pytest.raises(jobs.BusyError):
            jobs.TrainingJob(SMALL_DIGITS, epochs=1, limit=100, data_dir=str(data_dir)).start()
    finally:
        first.cancel()
        first.wait(120)


def test_atomic_write_keeps_old_file(tmp_path):
    target = tmp_path / "model.keras"
    target.write_bytes(b"old model")

    def crash(path):
        path.write_bytes(b"half written")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        artifacts.write_atomically(target, crash)
    assert target.read_bytes() == b"old model"
    assert list(tmp_path.iterdir()) == [target]


def test_model_names_checked():
    assert artifacts.check_model_name("my-model_2") == "my-model_2"
    for bad in ["", "../x", "a/b", ".hidden", "x" * 65]:
        with pytest.raises(ValueError):
            artifacts.check_model_name(bad)


def test_cli_writes_card(data_dir, tmp_path):
    code = train.main(["digits", "--epochs", "1", "--limit", "200", "--test-limit", "100", "--out", str(tmp_path),
                       "--data-dir", str(data_dir)])
    assert code == 0
    card = json.loads((tmp_path / "digits-seed.json").read_text())
    assert card["command"].startswith("python -m lstm_demo.train digits")
    assert card["test_size"] == 100


def test_cli_missing_data_message(tmp_path, capsys):
    assert train.main(["digits", "--epochs", "1", "--data-dir", str(tmp_path)]) == 2
    assert "no MNIST files" in capsys.readouterr().err


def test_tensorflow_objects_frozen_on_import():
    # Full garbage collections that walked TensorFlow's objects made each app rerun about 160 ms slower
    # after a retraining. So lstm_demo.models freezes the objects when it is imported.
    import subprocess
    import sys

    script = (
        "import gc, lstm_demo.models; "
        "print(gc.get_freeze_count(), len(gc.get_objects()))"
    )
    completed = subprocess.run([sys.executable, "-c", script], cwd=ROOT,
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-2000:]
    frozen, tracked = (int(value) for value in completed.stdout.split()[-2:])
    assert frozen > tracked, (frozen, tracked)
