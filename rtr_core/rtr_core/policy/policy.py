"""The policy at the numpy boundary: ``predict(observation) -> Chunk``, save and load.

Called from a worker thread by the ROS policy node and the simulator. Inference cost is a few
conv layers for the observation plus ``num_inference_steps`` U-Net passes; call
``torch.set_num_threads(1)`` on a real-time machine (see machine.md).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from ..chunk import Chunk
from ..config import from_dict, to_dict
from ..errors import RtrError
from ..vae import ActionVAE, MinMaxNormaliser
from .checkpoint import PolicyCheckpointError, read_checkpoint, write_checkpoint
from .configuration import PolicyConfig
from .contract import ObservationContract
from .modeling import DiffusionModel, Guidance
from .observation import Observation
from .representation import ActionRepresentation, LatentRepresentation
from .rtc import RTCContext, RTCError, prefix_weights

WRENCH_DIM = 6


class PolicyInputError(RtrError, ValueError):
    """An observation that does not match the policy's observation contract."""


class Policy:
    """A diffusion policy chosen by ``config.name``, with its normalisers and contract.

    ``normalisers`` holds min-max normalisers for ``action`` (control-rate actions),
    ``native`` (latents of the latent policy; the action one otherwise) and each enabled
    vector input (``joint_positions``, ``wrench``).
    """

    def __init__(self, config: PolicyConfig, contract: ObservationContract,
                 normalisers: dict[str, MinMaxNormaliser], vae: ActionVAE | None = None):
        self.config = config
        self.contract = contract
        self.joint_names = tuple(contract.action.joint_names)
        if not self.joint_names:
            raise PolicyInputError('observation contract action.joint_names: a policy needs '
                                   'the joint names of its actions')
        self.normalisers = dict(normalisers)
        joints = len(self.joint_names)
        if self.normalisers['action'].dim != joints:
            raise PolicyInputError(f'action normaliser has {self.normalisers["action"].dim} '
                                   f'dims for {joints} joints')
        if config.name == 'latent_diffusion':
            if vae is None:
                raise PolicyCheckpointError('latent_diffusion needs an action VAE')
            _check_vae(vae, config, contract, joints)
            self.vae = vae
            self.representation = LatentRepresentation(vae, self.normalisers['native'],
                                                       self.normalisers['action'])
        else:
            self.vae = None
            factor = config.rate_factor(contract.control_rate_hz)
            self.representation = ActionRepresentation(
                config.horizon, factor, config.interpolation, contract.control_dt,
                self.normalisers['action'])
        self.model = DiffusionModel(
            config, self.representation.native_shape,
            joints if contract.joint_positions is not None else None,
            WRENCH_DIM if contract.wrench is not None else None,
            contract.image is not None).eval()
        self._torch_norm = {k: v.torch_params() for k, v in self.normalisers.items()}
        self._version: str | None = None
        self.training: dict = {}  # what the checkpoint says about its training (step, losses)

    # --- identity -------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def version(self) -> str:
        """Content hash (16 hex digits) of the weights: which model produced a chunk.

        Computed once (hashing megabytes of weights would cost more than a prediction);
        change weights through :meth:`load_weights` so that it is recomputed.
        """
        if self._version is None:
            h = hashlib.sha256()
            for key, tensor in sorted(self.model.state_dict().items()):
                h.update(key.encode())
                h.update(tensor.detach().to(torch.float32).cpu().contiguous().numpy().tobytes())
            self._version = h.hexdigest()[:16]
        return self._version

    def load_weights(self, state_dict: dict) -> None:
        self.model.load_state_dict(state_dict)
        self._version = None

    @property
    def output_dt(self) -> float:
        return self.representation.output_dt

    # --- observations -> tensors ----------------------------------------------------------

    def observation_tensors(self, observations: Sequence[Observation]):
        """Normalised (image, joints, wrench) batch tensors; disabled inputs are None."""
        c = self.contract
        frames = joints = wrench = None
        if c.image is not None:
            frames = np.stack([_field(o, 'image', (c.image.height, c.image.width, 3), np.uint8)
                               for o in observations])
        if c.joint_positions is not None:
            joints = np.stack([_field(o, 'joint_positions', (len(self.joint_names),))
                               for o in observations])
        if c.wrench is not None:
            wrench = np.stack([_field(o, 'wrench', (WRENCH_DIM,)) for o in observations])
        return self.input_tensors(frames, joints, wrench)

    def input_tensors(self, image: np.ndarray | None, joint_positions: np.ndarray | None,
                      wrench: np.ndarray | None):
        """Normalised tensors from raw batch arrays (as a dataset stores them)."""
        return (None if image is None else self.image_tensor(image),
                None if joint_positions is None else self._vector(joint_positions,
                                                                  'joint_positions'),
                None if wrench is None else self._vector(wrench, 'wrench'))

    @staticmethod
    def image_tensor(frames: np.ndarray) -> torch.Tensor:
        """(B, H, W, 3) uint8 -> (B, 3, H, W) float in [-1, 1]."""
        x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2)
        return x.to(torch.float32) / 127.5 - 1.0

    def _vector(self, rows: np.ndarray, name: str) -> torch.Tensor:
        centre, scale = self._torch_norm[name]
        x = torch.as_tensor(np.asarray(rows), dtype=torch.float32)
        return (x - centre) / scale

    # --- inference ------------------------------------------------------------------------

    def predict(self, observation: Observation, rtc: RTCContext | None = None,
                seed: int | None = None) -> Chunk:
        """One chunk planned from ``observation``: action ``i`` is the target for
        ``observation.stamp + (i + 1) * control period`` (then every ``chunk.dt``)."""
        t0 = time.perf_counter()
        generator = None if seed is None else torch.Generator().manual_seed(seed)
        positions, latents = self._sample([observation], rtc, generator)
        return Chunk(
            stamp=float(observation.stamp),
            start_time=float(observation.stamp) + self.contract.control_dt,
            dt=self.output_dt,
            joint_names=self.joint_names,
            positions=positions[0],
            latent=None if latents is None else latents[0],
            policy_name=self.name,
            policy_version=self.version,
            inference_duration=time.perf_counter() - t0,
        )

    def predict_positions(self, observations: Sequence[Observation],
                          seed: int | None = None) -> np.ndarray:
        """(B, H, J) positions for a batch of observations (open-loop evaluation)."""
        generator = None if seed is None else torch.Generator().manual_seed(seed)
        return self._sample(observations, None, generator)[0]

    def _sample(self, observations, rtc, generator):
        image, joints, wrench = self.observation_tensors(observations)
        with torch.no_grad():
            cond = self.model.encoder(image, joints, wrench)
        guidance = None if rtc is None else self._guidance(rtc)
        x = self.model.sample(cond, generator, guidance).detach().numpy().astype(np.float64)
        native = self.representation.native_normaliser.denormalise(x)
        outs = [self.representation.output(n) for n in native]
        positions = np.stack([p for p, _ in outs])
        latents = None if outs[0][1] is None else np.stack([z for _, z in outs])
        return positions, latents

    def _guidance(self, rtc: RTCContext) -> Guidance:
        rep = self.representation
        remainder = np.asarray(rtc.remainder, dtype=np.float64)
        joints = len(self.joint_names)
        if remainder.ndim != 2 or remainder.shape[1] != joints or len(remainder) == 0:
            raise RTCError(f'RTC remainder: expected (N >= 1, {joints}) positions, got '
                           f'{remainder.shape}')
        if not np.all(np.isfinite(remainder)):
            raise RTCError('RTC remainder: contains NaN or inf')
        if rtc.inference_delay < 0:
            raise RTCError(f'RTC inference_delay={rtc.inference_delay}: expected >= 0 steps')
        k = rep.output_steps_per_native
        horizon = (self.config.rtc_execution_horizon if rtc.execution_horizon is None
                   else rtc.execution_horizon)
        with torch.no_grad():
            probe = rep.native_to_actions(torch.zeros((1, *rep.native_shape)))
        steps = probe.shape[1]
        target = self.normalisers['action'].normalise(remainder[::k][:steps])
        weights = prefix_weights(math.ceil(rtc.inference_delay / k), math.ceil(horizon / k),
                                 steps, self.config.rtc_schedule)
        weights[len(target):] = 0.0
        padded = np.zeros((steps, joints))
        padded[:len(target)] = target
        return Guidance(torch.as_tensor(padded[None], dtype=torch.float32),
                        torch.as_tensor(weights, dtype=torch.float32),
                        rep.native_to_actions, rep.actions_to_native,
                        self.config.rtc_max_guidance_weight)

    # --- files ----------------------------------------------------------------------------

    def save(self, path: str | Path, vae_path: str | Path | None = None, **training) -> None:
        """Write the checkpoint atomically; ``training`` (step, losses...) rides along."""
        vae = None
        if self.vae is not None:
            vae = {'hash': self.vae.hash, 'path': '' if vae_path is None else str(vae_path)}
        state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        write_checkpoint(path, {
            'config': to_dict(self.config), 'contract': self.contract.to_dict(),
            'normalisers': {k: v.to_dict() for k, v in self.normalisers.items()},
            'vae': vae, 'state_dict': state, 'training': training})

    @classmethod
    def load(cls, path: str | Path, vae: ActionVAE | str | Path | None = None) -> Policy:
        """Load a checkpoint. A latent policy needs its VAE: ``vae`` (an object or a path),
        else the path stored at training time (relative paths from the checkpoint's folder);
        a VAE with another content hash is refused."""
        path = Path(path)
        data = read_checkpoint(path)
        try:
            config = from_dict(PolicyConfig, data['config'], f'{path}: config')
            contract = ObservationContract.from_dict(data['contract'], f'{path}: contract')
            normalisers = {k: MinMaxNormaliser.from_dict(v)
                           for k, v in data['normalisers'].items()}
        except (RtrError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise PolicyCheckpointError(f'{path}: inconsistent policy checkpoint: {exc}') from exc
        loaded_vae = None
        if config.name == 'latent_diffusion':
            loaded_vae = _resolve_vae(path, data['vae'], vae)
        try:
            policy = cls(config, contract, normalisers, loaded_vae)
        except PolicyCheckpointError:
            raise
        except (RtrError, KeyError, TypeError, ValueError) as exc:
            raise PolicyCheckpointError(f'{path}: inconsistent policy checkpoint: {exc}') from exc
        try:
            policy.load_weights(data['state_dict'])
        except (RuntimeError, TypeError, AttributeError) as exc:
            raise PolicyCheckpointError(f'{path}: weights do not match the stored config: '
                                        f'{exc}') from exc
        training = data.get('training')
        policy.training = dict(training) if isinstance(training, dict) else {}
        return policy


def _field(obs: Observation, name: str, shape: tuple[int, ...], dtype=None) -> np.ndarray:
    value = getattr(obs, name)
    if value is None:
        raise PolicyInputError(f'observation.{name}: the policy\'s observation contract uses '
                               f'it, got None')
    a = np.asarray(value)
    if a.shape != shape or (dtype is not None and a.dtype != dtype):
        want = f'{shape} {np.dtype(dtype).name}' if dtype is not None else f'{shape}'
        raise PolicyInputError(f'observation.{name}: expected {want}, got {a.shape} {a.dtype}')
    if dtype is None and not np.all(np.isfinite(a)):
        raise PolicyInputError(f'observation.{name}: contains NaN or inf')
    return a


def _check_vae(vae: ActionVAE, config: PolicyConfig, contract: ObservationContract,
               joints: int) -> None:
    problems = []
    if vae.horizon != config.horizon:
        problems.append(f'horizon {vae.horizon} (policy: {config.horizon})')
    if vae.action_dim != joints:
        problems.append(f'action_dim {vae.action_dim} (policy: {joints} joints)')
    if abs(vae.dt - contract.control_dt) > 1e-9:
        problems.append(f'dt {vae.dt:.6g} s (policy control period {contract.control_dt:.6g} s)')
    if problems:
        raise PolicyCheckpointError(f'action VAE {vae.hash} does not fit the policy: '
                                    + '; '.join(problems))


def _resolve_vae(path: Path, ref: dict | None, given) -> ActionVAE:
    if not isinstance(ref, dict) or not isinstance(ref.get('hash'), str) or \
            not isinstance(ref.get('path', ''), str):
        raise PolicyCheckpointError(f'{path}: latent_diffusion checkpoint without a VAE '
                                    f'reference (hash and path strings)')
    if isinstance(given, ActionVAE):
        vae, where = given, 'the given VAE'
    else:
        candidate = Path(given) if given is not None else Path(ref.get('path') or '')
        if given is None and not candidate.is_absolute():
            candidate = path.parent / candidate
        if not str(ref.get('path') or given or ''):
            raise PolicyCheckpointError(f'{path}: needs its action VAE (hash {ref["hash"]}); '
                                        f'pass it with --vae')
        vae, where = ActionVAE.load(candidate), str(candidate)
    if vae.hash != ref['hash']:
        raise PolicyCheckpointError(f'{path}: trained with action VAE {ref["hash"]}, but '
                                    f'{where} is {vae.hash}; use the VAE the policy was '
                                    f'trained with')
    return vae
