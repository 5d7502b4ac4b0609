"""The S3DIS and SemanticKITTI readers on generated files in the released layouts, and known faults."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from nasforge.pointcloud.data.errors import PointCloudDataError
from nasforge.pointcloud.data.generate import write_s3dis, write_semantickitti
from nasforge.pointcloud.data.s3dis import S3DIS_CLASSES, RoomFiles, area_split, find_rooms, read_room
from nasforge.pointcloud.data.semantickitti import LEARNING_MAP, find_frames, learned_labels, read_scan


@pytest.fixture(scope="module")
def s3dis(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_s3dis(tmp_path_factory.mktemp("s3dis"), areas=(1, 2, 5), rooms_per_area=3, seed=1)


@pytest.fixture(scope="module")
def kitti(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_semantickitti(tmp_path_factory.mktemp("kitti"), sequences=("00", "08", "11"), seed=1)


def _room_with(tmp_path: Path, lines: list[str], name: str = "ceiling_1.txt") -> RoomFiles:
    folder = tmp_path / "Area_5" / "hallway_6" / "Annotations"
    folder.mkdir(parents=True)
    (folder / name).write_text("".join(line + "\n" for line in lines), encoding="latin-1")
    return find_rooms(tmp_path)[0]


def test_generated_rooms_read_back_with_their_classes(s3dis):
    rooms = find_rooms(s3dis)
    assert len(rooms) == 9 and [r.area for r in rooms] == [1, 1, 1, 2, 2, 2, 5, 5, 5]
    room = read_room(rooms[0])
    assert room.points.dtype == np.float32 and room.points.shape[1] == 3 and room.colors.dtype == np.uint8
    assert len(room.labels) == len(room.points) == len(room.instance) and room.skipped == 0
    names = {S3DIS_CLASSES[c] for c in np.unique(room.labels)}
    assert {"floor", "ceiling", "wall", "table", "chair", "bookcase"} <= names
    # the same seed writes the same rooms
    again = read_room(
        find_rooms(write_s3dis(s3dis.parent / "again", areas=(1, 2, 5), rooms_per_area=3, seed=1))[0]
    )
    np.testing.assert_array_equal(again.points, room.points)


def test_a_stray_control_byte_is_named_by_file_line_and_field(tmp_path):
    room = _room_with(tmp_path, ["1.0 2.0 3.0 10 20 30", "1.0 2.\x100 3.0 10 20 30", "1.5 2.5 3.5 10 20 30"])
    with pytest.raises(PointCloudDataError, match=r"ceiling_1\.txt:2: field y: .* is not a number") as error:
        read_room(room)
    assert (error.value.line, error.value.field) == (2, "y")
    kept = read_room(room, on_bad_rows="skip")
    assert kept.skipped == 1 and len(kept.points) == 2


def test_two_values_run_together_are_named_and_can_be_skipped(tmp_path):
    room = _room_with(tmp_path, ["1.0 2.0 3.0 10 20 30", "-1.2-3.4 5.0 10 20 30", "1.0 2.0 3.0 300 20 30"])
    with pytest.raises(
        PointCloudDataError, match=r":2: field fields: expected 6 values \(x y z r g b\), got 5"
    ):
        read_room(room)
    with pytest.raises(PointCloudDataError, match=r":1: field r: '300' is out of range 0\.\.255"):
        read_room(_room_with(tmp_path / "b", ["1.0 2.0 3.0 300 20 30"]))
    assert read_room(room, on_bad_rows="skip").skipped == 2


def test_class_comes_from_the_file_name(tmp_path):
    stairs = _room_with(tmp_path / "a", ["0 0 0 1 2 3"], name="stairs_1.txt")
    assert S3DIS_CLASSES[int(read_room(stairs).labels[0])] == "clutter"
    with pytest.raises(PointCloudDataError, match="unknown class 'lamp'"):
        read_room(_room_with(tmp_path / "b", ["0 0 0 1 2 3"], name="lamp_1.txt"))


def test_an_empty_annotation_file_is_zero_points_without_a_warning(tmp_path):
    room = _room_with(tmp_path, [], name="clutter_1.txt")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(read_room(room).points) == 0


def test_a_room_file_named_unlike_its_room_is_harmless(tmp_path):
    room = _room_with(tmp_path, ["0 0 0 1 2 3"], name="wall_1.txt")
    (tmp_path / "Area_5" / "hallway_6" / "hall_way_6.txt").write_text("garbage that is never read\n")
    assert len(read_room(room).points) == 1


def test_area_split_keeps_the_test_area_out_of_training_and_validation(s3dis):
    rooms = find_rooms(s3dis)
    split = area_split(rooms, test_area=5, val_fraction=0.3, seed=0)
    assert {r.area for r in split["test"]} == {5} and len(split["test"]) == 3
    assert {r.area for r in split["val"]} == {1, 2} and not {r.key for r in split["val"]} & {
        r.key for r in split["train"]
    }
    assert area_split(rooms, 5, 0.3, 0) == split
    with pytest.raises(ValueError, match=r"test_area=4 has no rooms here; the data holds areas \[1, 2, 5\]"):
        area_split(rooms, test_area=4)


def test_kitti_scans_map_raw_ids_including_moving_objects(kitti):
    frames = find_frames(kitti, ["00"])
    scan = read_scan(frames[0])
    assert scan.points.shape[1] == 3 and len(scan.remission) == len(scan.points)
    assert scan.labels.min() >= 0 and scan.labels.max() <= 19
    raw = np.array([252 | (7 << 16), 10, 254, 60, 52, 0], dtype=np.uint32)
    assert learned_labels(raw, Path("x.label")).tolist() == [1, 1, 6, 9, 0, 0]
    assert len(LEARNING_MAP) == 34
    assert read_scan(find_frames(kitti, ["11"])[0]).labels is None  # a test sequence: no labels


def test_kitti_file_faults_stop_with_the_file_name(kitti, tmp_path):
    frame = find_frames(kitti, ["08"])[0]
    base = tmp_path / "sequences" / "08"
    (base / "velodyne").mkdir(parents=True)
    (base / "labels").mkdir()
    scan = np.fromfile(frame.scan, dtype=np.float32)
    labels = np.fromfile(frame.label, dtype=np.uint32)
    scan.tofile(base / "velodyne" / "000000.bin")
    labels[:-1].tofile(base / "labels" / "000000.label")
    bad = find_frames(tmp_path, ["08"])[0]
    with pytest.raises(
        PointCloudDataError, match=r"000000\.label: .* labels for the .* points of 000000\.bin"
    ):
        read_scan(bad)
    scan[:-1].tofile(base / "velodyne" / "000000.bin")
    with pytest.raises(
        PointCloudDataError, match=r"000000\.bin: .* not a whole number of points \(16 bytes each\)"
    ):
        read_scan(bad)
    labels[:5] = 123
    scan.tofile(base / "velodyne" / "000000.bin")
    labels.tofile(base / "labels" / "000000.label")
    with pytest.raises(
        PointCloudDataError, match=r"semantic ids \[123\] are not in the SemanticKITTI learning map"
    ):
        read_scan(bad)
    (base / "labels" / "000000.label").unlink()
    with pytest.raises(PointCloudDataError, match=r"000000\.label: missing"):
        find_frames(tmp_path, ["08"])
    with pytest.raises(PointCloudDataError, match=r"sequences \['03'\] are missing; present: \['08'\]"):
        find_frames(tmp_path, ["03"])
