"""Imitation training: the quickstart recipe learns 5-digit addition; resume is exact."""

import json

import pytest
import torch
from pydantic import ValidationError

import toolenv
from agents.checkpoint import CheckpointError, load_agent, load_backbone
from agents.data import TrajectoryBatches
from agents.train import TrainConfig, micro_slices, resumed_on, train
from toolenv.rollout import rollout


def _tiny(tmp_path, name="run", **kw):
    base = dict(tasks=[{"name": "addition", "max_length": 3}], backbone="mamba2", size="tiny", steps=6, batch_size=4,
                val_every=0, val_episodes=0, checkpoint_every=2, out_dir=str(tmp_path / name))
    return TrainConfig(**{**base, **kw})


def test_interrupted_and_resumed_run_ends_with_the_same_weights(tmp_path):
    full = train(_tiny(tmp_path, "full"), progress=False)
    part = train(_tiny(tmp_path, "resumed"), progress=False, stop_after=3)
    assert part.step == 3
    resumed = train(_tiny(tmp_path, "resumed"), progress=False)
    assert resumed.step == full.step == 6
    a, _ = load_backbone(tmp_path / "full")
    b, _ = load_backbone(tmp_path / "resumed")
    for k, v in a.state_dict().items():
        assert torch.equal(v, b.state_dict()[k]), k


def test_no_validation_episodes_means_no_validation_record(tmp_path):
    # with val_episodes=0 the run used to report "nan% exact" as a final validation
    assert train(_tiny(tmp_path, steps=2), progress=False).validation == []
    assert train(_tiny(tmp_path, "val", steps=2, val_episodes=2), progress=False).validation[-1]["step"] == 2


def test_the_log_records_each_steps_gradient_norm_before_clipping(tmp_path):
    logs = {}
    for clip in (1.0, 1e-4):
        train(_tiny(tmp_path, f"clip{clip}", steps=2, grad_clip=clip), progress=False)
        logs[clip] = json.loads((tmp_path / f"clip{clip}" / "train_log.json").read_text())
    # step 1's gradient comes before any clipping acts, so both runs see the same one, above the small clip
    assert logs[1.0][0]["grad_norm"] == pytest.approx(logs[1e-4][0]["grad_norm"], rel=1e-5)
    assert all(1e-4 < h["grad_norm"] < float("inf") for h in logs[1e-4])


def test_resume_refuses_another_configuration_and_names_what_differs(tmp_path):
    train(_tiny(tmp_path, steps=2), progress=False)
    with pytest.raises(CheckpointError, match=r"another configuration \(lr: 0\.003 -> 0\.0001\)"):
        train(_tiny(tmp_path, steps=2, lr=1e-4), progress=False)


def test_a_lease_trainer_state_resumes_on_the_cpu_from_a_moved_folder(tmp_path):
    # a GPU lease's unfinished run comes back as config.json + trainer_state.pt, unpacked elsewhere; its
    # configuration names the lease's device and folder, which are where it trained, not what it learns
    full = train(_tiny(tmp_path, "full"), progress=False)
    train(_tiny(tmp_path, "lease", device="cpu"), progress=False, stop_after=3)
    info_path = tmp_path / "lease" / "config.json"
    info = json.loads(info_path.read_text())
    info["device"], info["train_config"]["device"] = "cuda:0", "cuda"
    info_path.write_text(json.dumps(info))
    (tmp_path / "lease").rename(tmp_path / "box")
    resumed = train(_tiny(tmp_path, "box", device="cpu"), progress=False)
    assert resumed.step == 6
    a, _ = load_backbone(tmp_path / "full")
    b, info = load_backbone(tmp_path / "box")
    assert all(torch.equal(v, b.state_dict()[k]) for k, v in a.state_dict().items())  # here both ran on the CPU
    assert info.device == "cuda:0, then cpu from step 3"
    assert full.device == "cpu" and info.train_config["device"] == "cpu"


@pytest.mark.parametrize(("saved", "device", "step", "recorded"), [
    (None, "cpu", 0, "cpu"), ("cpu", "cpu", 5, "cpu"), ("cuda:0", "cpu", 5, "cuda:0, then cpu from step 5"),
    ("cuda:0, then cpu from step 5", "cpu", 7, "cuda:0, then cpu from step 5"),
    ("cuda:0, then cpu from step 5", "cuda:0", 7, "cuda:0, then cpu from step 5, then cuda:0 from step 7")])
def test_the_device_record_names_each_device_once_from_the_step_it_began(saved, device, step, recorded):
    assert resumed_on(saved, device, step) == recorded


def test_batches_are_deterministic_masked_and_bucketed():
    data = TrajectoryBatches([("addition", 1.0, 5)], "interactive", 8, seed=3)
    b1, b2 = data.batch(5), TrajectoryBatches([("addition", 1.0, 5)], "interactive", 8, seed=3).batch(5)
    assert torch.equal(b1.inputs, b2.inputs) and torch.equal(b1.mask, b2.mask)
    assert (b1.inputs[:, 0] == toolenv.vocab.BOS).all()
    lengths = (b1.targets != toolenv.vocab.PAD).sum(1)
    for row, n in enumerate(lengths.tolist()):  # inputs are the targets shifted right by [BOS]
        assert torch.equal(b1.inputs[row, 1:n], b1.targets[row, : n - 1])
        assert b1.targets[row, n - 1] == toolenv.vocab.EOS and b1.mask[row, n - 1] and not b1.mask[row, n:].any()
    lengths = lengths.float()
    assert lengths.max() / lengths.min() < 1.6  # bucketed: similar lengths in one batch
    mixed = TrajectoryBatches([("addition", 1.0, 5), ("addition", 0.0, 9)], "interactive", 8, seed=3)
    assert mixed.batch(0).inputs.shape[1] <= 5 * 40  # weight 0: no 9-digit problems


def test_background_workers_stream_the_same_batches_from_any_step():
    data = TrajectoryBatches([("addition", 1.0, 5)], "interactive", 4, seed=1, pool=3)
    for start, stop in [(0, 7), (4, 9), (5, 6)]:  # pool boundaries, resumes mid-pool, one step
        streamed = list(data.stream(start, stop, workers=2))
        assert len(streamed) == stop - start
        for step, b in zip(range(start, stop), streamed):
            expected = data.batch(step)
            assert torch.equal(b.inputs, expected.inputs) and torch.equal(b.mask, expected.mask), step
    with pytest.raises(ValueError, match="workers"):
        list(data.stream(0, 2, workers=-1))


def test_data_workers_do_not_change_the_run(tmp_path):
    serial = train(_tiny(tmp_path, "serial", steps=4), progress=False, data_workers=0)
    background = train(_tiny(tmp_path, "workers", steps=4), progress=False, data_workers=2)
    assert serial.final_loss == background.final_loss
    a, _ = load_backbone(tmp_path / "serial")
    b, _ = load_backbone(tmp_path / "workers")
    for k, v in a.state_dict().items():
        assert torch.equal(v, b.state_dict()[k]), k


@pytest.mark.parametrize("backbone", ["gru", "transformer"])
def test_micro_batches_train_the_same_run(tmp_path, backbone):
    # batch 4 in slices of 3 and 1 rows (the last slice short), each cut after its last loss token
    whole = train(_tiny(tmp_path, "whole", backbone=backbone, steps=3), progress=False, data_workers=0)
    micro = train(_tiny(tmp_path, "micro", backbone=backbone, steps=3), progress=False, data_workers=0, micro_batch=3)
    assert micro.final_loss == pytest.approx(whole.final_loss, rel=1e-5)
    a, _ = load_backbone(tmp_path / "whole")
    b, _ = load_backbone(tmp_path / "micro")
    for k, v in a.state_dict().items():
        torch.testing.assert_close(b.state_dict()[k], v, rtol=1e-4, atol=1e-6, msg=k)
    # a run may resume with another slicing: it is not part of the configuration
    assert train(_tiny(tmp_path, "micro", backbone=backbone, steps=3), progress=False, micro_batch=1).step == 3
    with pytest.raises(ValueError, match="micro_batch"):
        train(_tiny(tmp_path, "bad", backbone=backbone), progress=False, micro_batch=0)


def test_micro_slices_cut_each_slice_after_its_last_loss_token():
    mask = torch.zeros(5, 9, dtype=torch.bool)
    mask[0, :3] = mask[1, 2:6] = mask[2, 1] = mask[4, 8] = True  # row 3 has no loss token
    assert micro_slices(mask, None) == [(slice(0, 5), 9)]
    assert micro_slices(mask, 2) == [(slice(0, 2), 6), (slice(2, 4), 2), (slice(4, 6), 9)]
    mask[4] = False
    # a slice with no loss is kept, one column wide: every DDP process runs the same backward passes
    assert micro_slices(mask, 2) == [(slice(0, 2), 6), (slice(2, 4), 2), (slice(4, 6), 1)]


def test_bad_configs_are_rejected_with_the_field_named(tmp_path):
    with pytest.raises(ValidationError, match="regime"):
        _tiny(tmp_path, regime="chatty")
    with pytest.raises(ValidationError, match="steps"):
        _tiny(tmp_path, steps=0)
    with pytest.raises(ValidationError, match="extra"):
        _tiny(tmp_path, learning_rate=1)
    with pytest.raises(toolenv.UnknownTaskError):
        train(_tiny(tmp_path, tasks=[{"name": "nope", "max_length": 3}]), progress=False)


@pytest.mark.slow
def test_tiny_mamba2_learns_5_digit_addition_in_about_a_minute(tmp_path):
    from toolenv.quickstart import recipe

    cfg = TrainConfig(**{**recipe("mamba2", "interactive"), "out_dir": str(tmp_path / "q"), "val_episodes": 0})
    result = train(cfg, progress=False)
    agent = load_agent(tmp_path / "q")
    task = toolenv.get_task("addition")
    problems = [task.problem("test", 5, i, seed=1) for i in range(200)]
    accuracy = sum(r.correct for r in rollout(agent, task, problems)) / len(problems)
    print(f"trained {result.step} steps in {result.wall_time_s:.0f} s: {accuracy:.1%} exact at 5 digits")
    assert accuracy >= 0.99
