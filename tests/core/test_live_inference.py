"""Output-only live runs: the fetched tensors equal the all-activations run's, the caller's model is untouched."""
from __future__ import annotations

import numpy as np
import pytest

from explorer.core import zoo
from explorer.core.errors import UserError
from explorer.core.live_inference import LiveSession
from explorer.core.runtime import ActivationSession


@pytest.fixture(scope="module")
def lenet():
    return zoo.build("lenet5")


def test_fetched_tensors_equal_the_all_activations_run(lenet):
    full = ActivationSession(lenet)
    layer = full.tensor_names[len(full.tensor_names) // 2]
    live = LiveSession(lenet, [layer])
    assert live.fetch == (layer, full.output_name)
    tensor = np.random.default_rng(0).random(live.input_shape, dtype=np.float32)
    fetched = live.run(tensor)
    everything = full.run(tensor)
    assert set(fetched) == {layer, full.output_name}
    np.testing.assert_allclose(fetched[layer], everything.tensors[layer], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(fetched[full.output_name], everything.output, rtol=1e-4, atol=1e-5)


def test_only_the_output_is_fetched_when_no_layer_is_shown_and_the_model_is_left_alone(lenet):
    outputs = [o.name for o in lenet.graph.output]
    live = LiveSession(lenet)
    assert live.fetch == (outputs[0],)
    assert [o.name for o in lenet.graph.output] == outputs


def test_a_tensor_the_model_does_not_have_is_one_line(lenet):
    with pytest.raises(UserError) as failed:
        LiveSession(lenet, ["conv99"])
    assert "'conv99'" in str(failed.value) and "\n" not in str(failed.value)



def test_a_live_session_runs_on_the_threads_it_is_given(lenet):
    """Live frames run two at a time, each on its share of the cores (workers/live_tasks.DEPTH)."""
    full = ActivationSession(lenet)
    options = LiveSession(full, [full.tensor_names[2]], threads=1)._session.get_session_options()
    assert options.intra_op_num_threads == 1
