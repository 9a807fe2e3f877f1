<?php

namespace GrowthStandin;

use ManualLogEntry;
use MediaWiki\Api\ApiBase;
use MediaWiki\Api\ApiMain;
use MediaWiki\ParamValidator\TypeDef\UserDef;
use MediaWiki\User\Options\UserOptionsManager;
use MediaWiki\User\UserFactory;
use MediaWiki\User\UserIdentity;
use MediaWiki\User\UserIdentityUtils;
use Wikimedia\ParamValidator\ParamValidator;
use Wikimedia\Rdbms\IDBAccessObject;

/**
 * action=growthsetmentor: set the primary mentor of a mentee (POST, csrf).
 *
 * Needs setmentor, except when the new mentor is a listed mentor and the performer is the
 * mentee or the new mentor. The new mentor may be any named user. Writes a growthexperiments
 * log entry (setmentor / claimmentee, with -no-previous-mentor when there was none).
 * Result: {"growthsetmentor": {"status": "ok", "mentee": NAME, "newMentor": NAME,
 * "oldMentor": NAME or false}}.
 */
class ApiSetMentor extends ApiBase {

	public function __construct(
		ApiMain $mainModule,
		string $moduleName,
		private UserFactory $userFactory,
		private UserOptionsManager $userOptionsManager,
		private UserIdentityUtils $userIdentityUtils
	) {
		parent::__construct( $mainModule, $moduleName );
	}

	/** @inheritDoc */
	public function execute() {
		$performer = $this->getUser();
		$block = $performer->getBlock( IDBAccessObject::READ_LATEST );
		if ( $block && $block->isSitewide() ) {
			$this->dieBlocked( $block );
		}

		$params = $this->extractRequestParams();
		/** @var UserIdentity $mentee */
		$mentee = $params['mentee'];
		/** @var UserIdentity $mentor */
		$mentor = $params['mentor'];

		$permissionless = MentorList::isMentor( $mentor ) &&
			( $performer->equals( $mentee ) || $performer->equals( $mentor ) );
		if ( !$permissionless ) {
			$this->checkUserRightsAny( 'setmentor' );
		}
		foreach ( [ $mentee, $mentor ] as $user ) {
			if ( !$this->userIdentityUtils->isNamed( $user ) ) {
				$this->dieWithError( [ 'nosuchusershort', $user->getName() ] );
			}
		}

		$oldMentor = Mentorship::getPrimaryMentor( $mentee );

		if ( Mentorship::getState( $mentee ) === Mentorship::STATE_OPTED_OUT ) {
			// Like GrowthExperiments: drop whatever is left and refuse.
			MentorStore::dropMentee( $mentee );
			$this->dieWithError( [ 'growthexperiments-homepage-claimmentee-opt-out', $mentee->getName() ] );
		}
		if ( $oldMentor && $oldMentor->equals( $mentor ) ) {
			$this->dieWithError( [
				'growthexperiments-homepage-claimmentee-already-mentor',
				$mentee->getName(),
				$performer->getName(),
			] );
		}

		MentorStore::setMentor( $mentee, $mentor, MentorStore::ROLE_PRIMARY );
		$this->log( $mentee, $oldMentor, $mentor, $params['reason'] );

		$rawState = (int)$this->userOptionsManager->getOption( $mentee, Mentorship::STATE_PREF );
		if ( $rawState === Mentorship::STATE_DISABLED ) {
			// A manual change gives mentorship to a user who had it disabled (not opted out).
			$this->userOptionsManager->setOption(
				$mentee, Mentorship::STATE_PREF, Mentorship::STATE_ENABLED_EXPLICITLY
			);
			$this->userOptionsManager->saveOptions( $mentee );
		}

		$this->getResult()->addValue( null, $this->getModuleName(), [
			'status' => 'ok',
			'mentee' => $mentee->getName(),
			'newMentor' => $mentor->getName(),
			'oldMentor' => $oldMentor ? $oldMentor->getName() : false,
		] );
	}

	private function log( UserIdentity $mentee, ?UserIdentity $oldMentor, UserIdentity $newMentor, string $reason ): void {
		$performer = $this->getUser();
		$claim = $performer->getId() === $newMentor->getId();
		$subtype = $claim ? 'claimmentee' : 'setmentor';
		if ( !$oldMentor ) {
			$subtype .= '-no-previous-mentor';
		}
		$params = [];
		if ( $oldMentor ) {
			$params['4::previous-mentor'] = $oldMentor->getName();
		}
		if ( !$claim ) {
			$params['5::new-mentor'] = $newMentor->getName();
		}
		$entry = new ManualLogEntry( 'growthexperiments', $subtype );
		$entry->setPerformer( $performer );
		$entry->setTarget( $this->userFactory->newFromUserIdentity( $mentee )->getUserPage() );
		$entry->setComment( $reason );
		$entry->setParameters( $params );
		$logId = $entry->insert();
		$entry->publish( $logId );
	}

	/** @inheritDoc */
	public function isWriteMode() {
		return true;
	}

	/** @inheritDoc */
	public function mustBePosted() {
		return true;
	}

	/** @inheritDoc */
	public function needsToken() {
		return 'csrf';
	}

	/** @inheritDoc */
	protected function getAllowedParams() {
		return [
			'mentee' => [
				ParamValidator::PARAM_REQUIRED => true,
				ParamValidator::PARAM_TYPE => 'user',
				UserDef::PARAM_ALLOWED_USER_TYPES => [ 'name' ],
				UserDef::PARAM_RETURN_OBJECT => true,
			],
			'mentor' => [
				ParamValidator::PARAM_REQUIRED => true,
				ParamValidator::PARAM_TYPE => 'user',
				UserDef::PARAM_ALLOWED_USER_TYPES => [ 'name' ],
				UserDef::PARAM_RETURN_OBJECT => true,
			],
			'reason' => [
				ParamValidator::PARAM_TYPE => 'string',
				ParamValidator::PARAM_DEFAULT => '',
			],
		];
	}
}
